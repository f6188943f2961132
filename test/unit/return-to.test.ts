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

  it('when returnTo is longer than 2048 characters, then the person goes to the start page', () => {
    expect(safeReturnTo(`/${'a'.repeat(2048)}`)).toBe('/')
    expect(safeReturnTo(`/${'a'.repeat(2046)}`)).toBe(`/${'a'.repeat(2046)}`)
  })
})
