// Where to send the person after sign-in. Only same-origin relative paths are accepted:
// an absolute, protocol-relative or backslash URL would make us an open redirector
// (RFC 9700 §4.11.1, RFC 6749 §10.15). Anything doubtful falls back to the start page.
const FALLBACK = '/'
const BASE = 'http://return-to.invalid'

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return FALLBACK
  let decoded: string
  try {
    decoded = decodeURIComponent(value)
  } catch {
    return FALLBACK
  }
  for (const candidate of [value, decoded]) {
    if (!candidate.startsWith('/') || candidate.startsWith('//')) return FALLBACK
    // Browsers read "\" as "/" and drop tabs and newlines, so "/\evil" and "/%09/evil"
    // can turn into "//evil" (another origin).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
    if (/[\\\u0000-\u001f\u007f]/.test(candidate)) return FALLBACK
  }
  const url = new URL(value, BASE)
  // Dot segments can collapse into "//" ("/a/../..//evil" becomes "//evil").
  if (url.origin !== BASE || url.pathname.startsWith('//')) return FALLBACK
  return `${url.pathname}${url.search}`
}
