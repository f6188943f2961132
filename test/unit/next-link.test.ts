// A next-page URL may only be fetched, with the person's Bearer token, when it stays on the
// configured contacts origin and under its path (RFC 9700 §4.9.1).
import { describe, expect, it } from 'vitest'
import { isFollowableNextLink } from '../../src/contacts/next-link.ts'

const GRAPH = new URL('https://graph.microsoft.com/v1.0')
const GRAPH_SLASH = new URL('https://graph.microsoft.com/v1.0/')
const ROOT = new URL('http://127.0.0.1:4001')

describe('isFollowableNextLink', () => {
  it.each([
    'https://graph.microsoft.com/v1.0/me/contacts?$top=10&$skip=10',
    'https://graph.microsoft.com/v1.0/me/contactFolders/AAMkAD=/contacts/delta?$skiptoken=x%2Fy',
    'https://GRAPH.microsoft.com:443/v1.0/me/contacts',
    'https://graph.microsoft.com/v1.0',
    'https://graph.microsoft.com/v1.0/',
    // Dot segments are resolved by the parser (as fetch will) and stay inside.
    'https://graph.microsoft.com/v1.0/me/../me/contacts',
    'https://graph.microsoft.com/v1.0/me/contacts#fragment',
  ])('when the link is %s, then it is followed', (link) => {
    expect(isFollowableNextLink(link, GRAPH)).toBe(true)
    expect(isFollowableNextLink(link, GRAPH_SLASH)).toBe(true)
  })

  it.each([
    ['another origin', 'https://evil.example/v1.0/me/contacts'],
    ['a look-alike host', 'https://graph.microsoft.com.evil.example/v1.0/me/contacts'],
    ['a trailing-dot host', 'https://graph.microsoft.com./v1.0/me/contacts'],
    ['userinfo', 'https://user:pass@graph.microsoft.com/v1.0/me/contacts'],
    ['a user alone', 'https://graph.microsoft.com@graph.microsoft.com/v1.0/me/contacts'],
    ['userinfo hiding the real host', 'https://graph.microsoft.com@evil.example/v1.0/me'],
    ['another scheme', 'http://graph.microsoft.com/v1.0/me/contacts'],
    ['a non-web scheme', 'javascript:alert(1)//graph.microsoft.com/v1.0/'],
    ['a data URL', 'data:text/plain,https://graph.microsoft.com/v1.0/'],
    ['another port', 'https://graph.microsoft.com:8443/v1.0/me/contacts'],
    ['a path outside the base', 'https://graph.microsoft.com/beta/me/contacts'],
    ['a path that only starts like the base', 'https://graph.microsoft.com/v1.0evil/me'],
    ['a dot-dot escape', 'https://graph.microsoft.com/v1.0/../beta/me/contacts'],
    ['an encoded dot-dot escape', 'https://graph.microsoft.com/v1.0/%2e%2e/beta/me'],
    ['a mixed dot-dot escape', 'https://graph.microsoft.com/v1.0/.%2E/beta/me'],
    ['a backslash escape', 'https://graph.microsoft.com/v1.0\\..\\beta/me'],
    ['an encoded slash', 'https://graph.microsoft.com/v1.0/..%2fbeta/me'],
    ['an encoded backslash', 'https://graph.microsoft.com/v1.0/..%5Cbeta/me'],
    ['an encoded dot inside a segment', 'https://graph.microsoft.com/v1.0/me/%2e%2e%2f'],
    ['an encoded NUL', 'https://graph.microsoft.com/v1.0/me%00/contacts'],
    ['a relative link', '/v1.0/me/contacts?$skip=10'],
    ['a scheme-relative link', '//graph.microsoft.com/v1.0/me/contacts'],
    ['no URL at all', 'not a url'],
    ['an empty string', ''],
  ])('when the link has %s, then it is refused', (_what, link) => {
    expect(isFollowableNextLink(link, GRAPH)).toBe(false)
  })

  it('when the contacts URL is an origin, then any path on that origin is followed, and other ports are not', () => {
    expect(isFollowableNextLink('http://127.0.0.1:4001/v1/people/me/connections?x=1', ROOT)).toBe(
      true,
    )
    expect(isFollowableNextLink('http://127.0.0.1:4002/v1/people/me/connections', ROOT)).toBe(false)
    expect(isFollowableNextLink('http://localhost:4001/v1/people/me/connections', ROOT)).toBe(false)
    expect(isFollowableNextLink('https://127.0.0.1:4001/v1/people/me/connections', ROOT)).toBe(
      false,
    )
  })
})
