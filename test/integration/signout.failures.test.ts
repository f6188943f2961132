// Failures never leave a person signed in, or a grant alive that nobody can reach: sign-out
// while Redis refuses writes, a callback whose Redis fails right after the code exchange,
// the absolute lifetime of a sign-in, and "sign out everywhere". This file pauses Redis
// (CLIENT PAUSE … WRITE), so it runs on a private redis-server of its own: the other test
// files keep theirs.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../demo/redis-server.ts'
import { Browser, formValue } from './support/browser.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { storedConnection, storedSession } from './support/session.ts'
import { followSignInFailure } from './support/sign-in-failure.ts'
import { startStack, type TestStack } from './support/stack.ts'

let redisServer: RedisServer
let stack: TestStack
beforeAll(async () => {
  redisServer = await startRedisServer()
  stack = await startStack({
    redisUrl: redisServer.url,
    env: { SESSION_MAX_AGE_SECONDS: '60' },
  })
})
afterAll(async () => {
  await stack?.close()
  await redisServer?.stop()
})
afterEach(async () => {
  stack.tamper = undefined
  await stack.redis.call('CLIENT', 'UNPAUSE')
})

/** Writes block until `ms` have passed; reads go on (sessions still load). */
const pauseWrites = (ms: number) => stack.redis.call('CLIENT', 'PAUSE', String(ms), 'WRITE')

const revocations = () =>
  stack.demo.authorizationServer.requests.filter((r) => r.endpoint === 'revocation')

async function signedIn(username = 'alice') {
  const browser = new Browser()
  const page = await signIn(browser, stack.appUrl, { username, password: `${username}-demo` })
  expect(page.status).toBe(200)
  return { browser, csrf: String(formValue(page.body, '_csrf')) }
}

describe('signing out while Redis refuses writes', () => {
  it('when the session cannot be deleted, then the cookie is still cleared, the grant revoked, and the browser is signed out', async () => {
    const { browser, csrf } = await signedIn()
    const connection = await storedConnection(stack, browser)
    const before = revocations().length
    // Redis refuses writes from the moment the grant is revoked: the token record and the
    // session can no longer be deleted.
    stack.tamper = async (request, real) => {
      const response = await real()
      if (request.url.endsWith('/revoke')) await pauseWrites(6000)
      return response
    }
    const hop = await browser.request(`${stack.appUrl}/logout`, { form: { _csrf: csrf } })
    expect(hop.status).toBe(303)
    expect(hop.headers.getSetCookie().join('\n')).toMatch(/ci\.sid=;.*Expires=Thu, 01 Jan 1970/)
    expect(await browser.cookie(stack.appUrl, 'ci.sid')).toBeUndefined()
    expect(revocations().length).toBeGreaterThan(before)
    await stack.redis.call('CLIENT', 'UNPAUSE')
    const home = await browser.request(`${stack.appUrl}/`)
    expect(home.body).toContain('Sign in with Demo Provider')
    const people = stack.apps[0]?.services.people
    expect((await people?.connection(connection.personId, connection.id))?.status).toBe(
      'disconnected',
    )
  }, 20_000)

  it('when the person signs out twice (a double click, a stale tab), then the second time is a plain sign-out too', async () => {
    const { browser, csrf } = await signedIn()
    const first = await browser.request(`${stack.appUrl}/logout`, { form: { _csrf: csrf } })
    expect(first.status).toBe(303)
    const again = await browser.request(`${stack.appUrl}/logout`, { form: { _csrf: csrf } })
    // No session any more, so the form's token is stale: refused, and still signed out.
    expect(again.status).toBe(403)
    expect((await browser.request(`${stack.appUrl}/resource`)).status).toBe(303)
  })
})

describe('a callback whose Redis fails after the code exchange', () => {
  it('when the tokens cannot be stored, then they are revoked at the provider, nothing is left in Redis, and the page offers a fresh sign-in on a clean URL', async () => {
    const browser = new Browser()
    const callback = await authorizeAtProvider(browser, stack.appUrl)
    const tokensBefore = await stack.redis.keys(`${stack.prefix}tok:*`)
    const before = revocations().length
    stack.tamper = async (request, real) => {
      const response = await real()
      // The provider has answered the code exchange: from now on, Redis refuses writes.
      if (request.url.endsWith('/token')) await pauseWrites(7000)
      return response
    }
    const hop = await browser.request(callback)
    expect(hop.status).toBe(303)
    expect(hop.location).toBe(
      `${stack.appUrl}/sign-in/failed?reason=STORE_UNAVAILABLE&provider=demo`,
    )
    const hints = revocations()
      .slice(before)
      .map((r) => r.params.token_type_hint)
    expect(hints).toContain('refresh_token')
    await stack.redis.call('CLIENT', 'UNPAUSE')
    expect(await stack.redis.keys(`${stack.prefix}tok:*`)).toEqual(tokensBefore)
    const page = await followSignInFailure(hop)
    expect(page.status).toBe(503)
    expect(page.body).toContain('href="/login?provider=')
    expect(page.body).not.toContain('/auth/callback')
    expect((await browser.request(`${stack.appUrl}/resource`)).status).toBe(303)
  }, 30_000)

  it('when a failure page is reloaded, then it is a plain "sign in again" page: the detail was for one view', async () => {
    const browser = new Browser()
    const callback = new URL(await authorizeAtProvider(browser, stack.appUrl))
    // The provider says the person declined (RFC 6749 §4.1.2.1), for this real sign-in.
    callback.searchParams.delete('code')
    callback.searchParams.set('error', 'access_denied')
    const hop = await browser.request(callback.href)
    expect(hop.location).toMatch(/\/sign-in\/failed\?id=[\w-]{22}$/)
    const first = await followSignInFailure(hop)
    expect(first.status).toBe(403)
    expect(first.body).toContain('LOGIN_DECLINED')
    const reloaded = await followSignInFailure(hop)
    expect(reloaded.status).toBe(400)
    expect(reloaded.body).toContain('Please sign in again')
    expect(reloaded.body).not.toContain('LOGIN_DECLINED')
  })

  it('when a forged callback is refused, then its clean URL names only the reason and nothing is stored', async () => {
    const keysBefore = await stack.redis.keys(`${stack.prefix}signin-failed:*`)
    const hop = await new Browser().request(
      `${stack.appUrl}/auth/callback/demo?code=stolen&state=made-up`,
    )
    expect(hop.location).toBe(
      `${stack.appUrl}/sign-in/failed?reason=LOGIN_STATE_UNKNOWN&provider=demo`,
    )
    expect(await stack.redis.keys(`${stack.prefix}signin-failed:*`)).toEqual(keysBefore)
    const page = await followSignInFailure(hop)
    expect(page.status).toBe(400)
    expect(page.body).toContain('This sign-in link has expired or was already used.')
  })
})

describe('the absolute lifetime of a sign-in', () => {
  it('when a session is older than SESSION_MAX_AGE_SECONDS, then it ends however active it was, and the connection stays', async () => {
    const { browser } = await signedIn()
    const connection = await storedConnection(stack, browser)
    const { key } = await storedSession(stack, browser)
    const raw = JSON.parse(String(await stack.redis.get(key))) as Record<string, unknown>
    expect(typeof raw.signedInAt).toBe('number')
    // Signed in 61 s ago, and used all along (the idle lifetime is a day).
    await stack.redis.set(
      key,
      JSON.stringify({ ...raw, signedInAt: Date.now() - 61_000 }),
      'KEEPTTL',
    )
    const page = await browser.request(`${stack.appUrl}/resource`)
    expect(page.status).toBe(303)
    expect(page.location).toContain('/login')
    expect(await stack.redis.exists(key)).toBe(0)
    const people = stack.apps[0]?.services.people
    expect((await people?.connection(connection.personId, connection.id))?.status).toBe('active')
  })
})

describe('sign out everywhere', () => {
  it('when the person signs out everywhere, then every browser signed in as them is signed out and every connection ends', async () => {
    const laptop = await signedIn()
    const phone = await signedIn()
    const connection = await storedConnection(stack, phone.browser)
    expect((await phone.browser.request(`${stack.appUrl}/resource`)).status).toBe(200)
    const before = revocations().length
    const hop = await laptop.browser.request(`${stack.appUrl}/logout/everywhere`, {
      form: { _csrf: laptop.csrf },
    })
    expect(hop.status).toBe(303)
    expect(hop.location).toBe(`${stack.appUrl}/?signedout=everywhere`)
    expect(revocations().length).toBeGreaterThan(before)
    for (const browser of [laptop.browser, phone.browser]) {
      const page = await browser.request(`${stack.appUrl}/resource`)
      expect(page.status).toBe(303)
      expect(page.location).toContain('/login')
    }
    const people = stack.apps[0]?.services.people
    expect((await people?.connection(connection.personId, connection.id))?.status).toBe(
      'disconnected',
    )
  })

  it('when sign out everywhere is asked by GET or without the form token, then nothing happens', async () => {
    const { browser } = await signedIn()
    expect((await browser.request(`${stack.appUrl}/logout/everywhere`)).status).toBe(405)
    const forged = await browser.request(`${stack.appUrl}/logout/everywhere`, {
      form: { _csrf: 'forged' },
    })
    expect(forged.status).toBe(403)
    expect((await browser.request(`${stack.appUrl}/resource`)).status).toBe(200)
  })
})
