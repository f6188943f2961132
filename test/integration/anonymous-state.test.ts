// What an anonymous visitor can make the app keep. Starting a sign-in costs the server
// nothing: the pending sign-in travels in an encrypted cookie of its own, there is no
// session before sign-in, and Redis only learns of a sign-in when its callback uses it up
// (a one-time marker that expires with it). A browser keeps at most 5 pending sign-ins,
// each of bounded size, so a flood of /login requests grows nothing, anywhere.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser } from './support/browser.ts'
import { authorizeAtProvider } from './support/login.ts'
import { followSignInFailure } from './support/sign-in-failure.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  // The limits are out of the way here: this file measures what the design itself stores.
  stack = await startStack({ env: { RATE_LIMIT_LOGIN_PER_MINUTE: '100000' } })
})
afterAll(() => stack?.close())

/** Every key the app holds under its prefix, and the memory Redis says they take. */
async function footprint(): Promise<{ keys: string[]; bytes: number }> {
  const keys = (await stack.redis.keys(`${stack.prefix}*`)).sort()
  let bytes = 0
  for (const key of keys) bytes += Number(await stack.redis.memory('USAGE', key))
  return { keys, bytes }
}

const flowCookies = async (browser: Browser) =>
  (await browser.jar.getCookies(stack.appUrl)).filter((c) => c.key.startsWith('ci.login.'))

/** A returnTo that the URL parser percent-encodes to nearly the 512-byte cap. */
const LONG_RETURN_TO = `/resource?q=${'€'.repeat(55)}`

/** Anonymous requests from fresh browsers (no cookies), `batch` at a time. */
async function anonymous(count: number, url: (i: number) => string) {
  const statuses: number[] = []
  const setCookies: string[] = []
  for (let i = 0; i < count; i += 20) {
    const hops = await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, (_, j) => new Browser().request(url(i + j))),
    )
    for (const hop of hops) {
      statuses.push(hop.status)
      setCookies.push(...hop.headers.getSetCookie())
    }
  }
  return { statuses, setCookies }
}

describe('anonymous visitors', () => {
  it('when 300 anonymous visitors start signing in and 100 send forged callbacks, then Redis holds no session, no pending sign-in and at most a counter', async () => {
    const before = await footprint()

    const logins = await anonymous(
      300,
      () => `${stack.appUrl}/login?provider=demo&returnTo=${encodeURIComponent(LONG_RETURN_TO)}`,
    )
    const forged = await anonymous(
      100,
      () =>
        `${stack.appUrl}/auth/callback/demo?code=x&state=${randomBytes(32).toString('base64url')}`,
    )

    expect(new Set(logins.statuses)).toEqual(new Set([303]))
    // Refused before any I/O, onto a clean failure URL that names only the reason.
    expect(new Set(forged.statuses)).toEqual(new Set([303]))
    // No session cookie: nobody is signed in, so there is no session to keep.
    expect(logins.setCookies.filter((c) => c.startsWith('ci.sid='))).toEqual([])
    const after = await footprint()
    const added = after.keys.filter((key) => !before.keys.includes(key))
    // What is left is the sign-in limiter's counter for this one address (rl:…), nothing
    // per request.
    expect(added.every((key) => key.startsWith(`${stack.prefix}rl:`))).toBe(true)
    expect(added.length).toBeLessThanOrEqual(1)
    expect(after.bytes - before.bytes).toBeLessThanOrEqual(1024)
  })

  it('when a browser starts 7 sign-ins, then it keeps only the newest 5, each cookie bounded, and the oldest can no longer finish', async () => {
    const browser = new Browser()
    const callbacks: string[] = []
    for (let i = 0; i < 7; i++) {
      callbacks.push(
        await authorizeAtProvider(browser, stack.appUrl, {
          start: `/login?provider=demo&returnTo=${encodeURIComponent(LONG_RETURN_TO)}`,
        }),
      )
    }

    const cookies = await flowCookies(browser)
    expect(cookies).toHaveLength(5)
    for (const cookie of cookies) expect(cookie.cookieString().length).toBeLessThanOrEqual(1200)
    const oldest = await followSignInFailure(await browser.request(String(callbacks[0])))
    expect(oldest.status).toBe(400)
    expect(oldest.body).toContain('LOGIN_STATE_MISMATCH')
    const newest = await browser.request(String(callbacks[6]))
    expect(newest.status).toBe(303)
    expect(newest.location).toBe(`${stack.appUrl}${LONG_RETURN_TO.replace(/€/g, '%E2%82%AC')}`)
  })

  it('when a sign-in completes, then its cookie is cleared and Redis keeps only a one-time marker that expires with the sign-in', async () => {
    const browser = new Browser()
    const callback = new URL(await authorizeAtProvider(browser, stack.appUrl))
    const state = String(callback.searchParams.get('state'))
    expect(await flowCookies(browser)).toHaveLength(1)
    const before = await footprint()

    const hop = await browser.request(callback.href)

    expect(hop.status).toBe(303)
    expect(await flowCookies(browser)).toEqual([])
    const markers = (await footprint()).keys.filter(
      (key) => key.startsWith(`${stack.prefix}consumed:`) && !before.keys.includes(key),
    )
    expect(markers).toHaveLength(1)
    // Named by a hash of the state, never the state itself.
    expect(markers[0]).not.toContain(state)
    const ttl = await stack.redis.pttl(String(markers[0]))
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(600_000)
  })

  it('when returnTo percent-encodes to more than 512 bytes, then the sign-in ends on the start page and its cookie stays small', async () => {
    const browser = new Browser()
    // 70 characters as typed, 630 bytes once normalised.
    const tooLong = `/resource?q=${'€'.repeat(70)}`

    const callback = await authorizeAtProvider(browser, stack.appUrl, {
      start: `/login?provider=demo&returnTo=${encodeURIComponent(tooLong)}`,
    })
    const [cookie] = await flowCookies(browser)
    const hop = await browser.request(callback)

    expect(cookie?.cookieString().length).toBeLessThanOrEqual(500)
    expect(hop.status).toBe(303)
    expect(hop.location).toBe(`${stack.appUrl}/`)
  })
})
