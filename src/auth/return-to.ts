// Where to send the person after sign-in. Only same-origin relative paths are accepted:
// an absolute, protocol-relative or backslash URL would make us an open redirector
// (RFC 9700 §4.11.1, RFC 6749 §10.15). Anything doubtful falls back to the start page.
// The length is capped on what is kept and sent back, after normalisation: the URL parser
// percent-encodes non-ASCII (one character can become 9 bytes), so a cap on the typed value
// alone would let a short request store a long value.
const FALLBACK = '/'
const BASE = 'http://return-to.invalid'
/** Most bytes of a normalised returnTo: a real page's path and query fit easily. */
export const RETURN_TO_MAX_BYTES = 512
/** Longer values as typed are refused before any parsing: nothing that long is useful. */
const RAW_MAX_CHARACTERS = 2048

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > RAW_MAX_CHARACTERS) {
    return FALLBACK
  }
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
  const normalised = `${url.pathname}${url.search}`
  // The serialised URL is ASCII, but count bytes anyway: that is what gets stored.
  return Buffer.byteLength(normalised) > RETURN_TO_MAX_BYTES ? FALLBACK : normalised
}
