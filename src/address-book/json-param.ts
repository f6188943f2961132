// A value as a JSON parameter PostgreSQL accepts. JSON allows what jsonb and text refuse:
// "\u0000" (text cannot hold NUL) and a lone surrogate escape (JSON.stringify writes one
// for a broken UTF-16 string, jsonb rejects it). One such character in a provider's record
// would fail the whole page's statement, so both are replaced before sending: NUL is
// dropped, a lone surrogate becomes U+FFFD, as a UTF-8 encoder would make it.

/** Backslash pairs are matched first, so an escaped backslash followed by "u0000" stays. */
const REFUSED_ESCAPES = /\\\\|\\u(0000|d[89a-f][0-9a-f]{2})/gi

export function jsonParam(value: unknown): string {
  const json = JSON.stringify(value)
  if (!json.includes('\\u')) return json
  return json.replace(REFUSED_ESCAPES, (sequence, code: string | undefined) => {
    if (code === undefined) return sequence
    return code === '0000' ? '' : '\\ufffd'
  })
}
