// Whether a next-page URL handed to us by a contacts API may be fetched with the person's
// access token. A Bearer token goes to the configured contacts URL and nowhere else (RFC
// 9700 §4.9.1; RFC 6750 §5.3): a provider, a proxy or a tampered answer that points the
// next page at another host, port, scheme or API would otherwise collect it. Graph's
// `@odata.nextLink` is followed as given (contacts-apis.md §4.1) — once it passes this.
//
// The link is compared after WHATWG URL parsing, which is also what fetch sends, so dot
// segments (plain or `%2e`-encoded) are already resolved. What parsing leaves encoded —
// `%2f`, `%5c`, `%2e`, `%00` in the path — is refused: a server that decodes them before
// routing would see a different path from the one checked here.

const ENCODED_TRICKS = /%(2f|5c|2e|00)/i

export function isFollowableNextLink(link: string, contactsUrl: URL): boolean {
  // Absolute URLs only: a relative one would be resolved against whatever base we chose.
  if (!URL.canParse(link)) return false
  const next = new URL(link)
  if (next.username !== '' || next.password !== '') return false
  // origin = scheme, host and port (default ports normalized away).
  if (next.origin !== contactsUrl.origin || next.origin === 'null') return false
  if (ENCODED_TRICKS.test(next.pathname)) return false
  const base = contactsUrl.pathname.endsWith('/')
    ? contactsUrl.pathname
    : `${contactsUrl.pathname}/`
  // The base itself, with or without its trailing slash, or anything below it.
  return next.pathname === base.slice(0, -1) || next.pathname.startsWith(base)
}
