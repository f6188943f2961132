// returnTo comes from the query string, so an attacker picks it: every shape a browser
// could resolve to another origin must fall back to the start page (RFC 9700 §4.11.1).
import { describe, expect, it } from 'vitest'
import { safeReturnTo } from '../../src/auth/return-to.ts'

describe('safeReturnTo', () => {
  it.each([
    ['/', '/'],
    ['/resource', '/resource'],
    ['/resource?page=2&sort=name', '/resource?page=2&sort=name'],
    ['/resource?q=a%20b', '/resource?q=a%20b'],
    ['/a/b/../c', '/a/c'],
    ['/resource#contacts', '/resource'],
    ['/resource?page=2#top', '/resource?page=2'],
  ])('when returnTo is the same-origin path %j, then the person goes to %j', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected)
  })

  it.each([
    ['an absolute https URL', 'https://evil.example/phish'],
    ['an absolute http URL', 'http://evil.example'],
    ['a protocol-relative URL', '//evil.example/path'],
    ['a slash then a backslash', '/\\evil.example'],
    ['two backslashes', '\\\\evil.example'],
    ['an encoded protocol-relative URL', '%2F%2Fevil.example'],
    ['a slash then encoded slashes', '/%2F/evil.example'],
    ['a slash then an encoded backslash', '/%5Cevil.example'],
    ['an encoded tab between slashes', '/%09/evil.example'],
    ['an encoded newline between slashes', '/%0A/evil.example'],
    ['a raw tab between slashes', '/\t/evil.example'],
    ['a raw newline between slashes', '/\n/evil.example'],
    ['a javascript: URL', 'javascript:alert(document.cookie)'],
    ['a javascript: URL behind a slash', '/javascript:alert(1)//%0A'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
    ['dot segments collapsing into //', '/a/../..//evil.example'],
    ['encoded dot segments collapsing into //', '/a/%2e%2e/%2E%2E//evil.example'],
    ['a relative path without a leading slash', 'resource'],
    ['a scheme-less host', 'evil.example/resource'],
    ['an invalid percent-encoding', '/resource%E0%A4%A'],
    ['a lone percent sign', '/100%'],
    ['an empty string', ''],
  ])('when returnTo is %s, then the person goes to the start page', (_shape, value) => {
    expect(safeReturnTo(value)).toBe('/')
  })

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { href: '/resource' }],
    ['an array of paths (repeated query parameter)', ['/resource', '/other']],
  ])('when returnTo is %s, then the person goes to the start page', (_shape, value) => {
    expect(safeReturnTo(value)).toBe('/')
  })

  // The cap applies to what is stored and sent back, after normalisation: percent-encoding
  // turns one non-ASCII character into up to 9 bytes, so a cap on the raw value alone let a
  // 2,048-character value become 18 KB.
  it('when the normalised returnTo is at most 512 bytes, then it is kept', () => {
    expect(safeReturnTo(`/${'a'.repeat(511)}`)).toBe(`/${'a'.repeat(511)}`)
    expect(safeReturnTo(`/?q=${'€'.repeat(56)}`)).toBe(`/?q=${'%E2%82%AC'.repeat(56)}`)
  })

  it('when the normalised returnTo is longer than 512 bytes, then the person goes to the start page', () => {
    expect(safeReturnTo(`/${'a'.repeat(512)}`)).toBe('/')
    // 59 characters as typed, 518 bytes once percent-encoded.
    expect(safeReturnTo(`/?q=${'€'.repeat(57)}`)).toBe('/')
    expect(safeReturnTo(`/${'é'.repeat(256)}`)).toBe('/')
  })

  it('when returnTo is far too long as typed, then it is refused before it is parsed', () => {
    expect(safeReturnTo(`/${'a'.repeat(20_000)}`)).toBe('/')
    expect(safeReturnTo(`/${'€'.repeat(2048)}`)).toBe('/')
  })

  it.each([
    ['ASCII', `/${'a'.repeat(511)}`],
    ['non-ASCII', `/?q=${'€'.repeat(56)}`],
    ['dot segments', `/x/..${'/a'.repeat(300)}`],
  ])('when returnTo is accepted (%s), then it never exceeds 512 bytes', (_shape, value) => {
    expect(Buffer.byteLength(safeReturnTo(value))).toBeLessThanOrEqual(512)
  })
})
