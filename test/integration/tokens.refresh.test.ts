// The token lifecycle against the real demo provider (2-second access tokens, rotating
// refresh tokens) and a real Redis: transparent refresh, exactly one refresh under
// concurrency across app instances, and what happens when the grant dies or the provider
// does not answer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../demo/stack.ts'
import { Browser } from './support/browser.ts'
import { signIn } from './support/login.ts'
import {
  presentRefreshToken,
  storedConnection,
  storedSession,
  storedTokens,
} from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

const TTL_SECONDS = 2
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const client = { id: DEMO_CLIENT_ID, secret: DEMO_CLIENT_SECRET }

let stack: TestStack
beforeAll(async () => {
  // Skew 0: "expired" means expired, so the tests control exactly when a refresh is due.
  stack = await startStack({
    instances: 2,
    accessTokenTtlSeconds: TTL_SECONDS,
    env: { TOKEN_REFRESH_SKEW_SECONDS: '0' },
    refreshLeaseMs: 300,
  })
})
afterAll(() => stack?.close())
afterEach(() => {
  stack.demo.authorizationServer.intercept = undefined
  stack.tamper = undefined
})

/** Refresh requests the provider received after `mark` (a requests.mark()). */
const refreshesSince = (mark: number) =>
  stack.demo.authorizationServer.requests
    .since(mark)
    .filter((r) => r.endpoint === 'token' && r.params.grant_type === 'refresh_token')

async function signedInAndExpired(username = 'alice') {
  const browser = new Browser()
  const page = await signIn(browser, stack.appUrl, { username, password: `${username}-demo` })
  expect(page.status).toBe(200)
  const before = await storedTokens(stack, browser)
  if (!before) throw new Error('no tokens stored')
  await sleep(Math.max(0, before.expiresAt * 1000 - Date.now()) + 100)
  return { browser, before }
}

const resourceOn = (browser: Browser, instance: number) =>
  browser.request(`${stack.apps[instance]?.url}/resource`)

describe('refreshing access tokens', () => {
  it('when the access token has expired, then the next page refreshes it transparently and works', async () => {
    const { browser, before } = await signedInAndExpired()
    const asBefore = stack.demo.authorizationServer.requests.mark()
    const page = await resourceOn(browser, 0)
    expect(page.status).toBe(200)
    expect(page.body).toContain('250 contacts')
    expect(refreshesSince(asBefore)).toHaveLength(1)
    const after = await storedTokens(stack, browser)
    expect(after?.accessToken).not.toBe(before.accessToken)
    // The demo provider rotates: the stored refresh token is the new one.
    expect(after?.refreshToken).not.toBe(before.refreshToken)
    expect(after?.refreshedAt).toBeGreaterThan(0)
    expect(after?.version).toBe(before.version + 1)
    // The connection panel tells when, never what.
    expect(page.body).toMatch(/Last refresh<\/dt><dd><time/)
    expect(page.body).not.toContain(String(after?.accessToken).slice(-20))
  })

  it('when 50 requests on one session hit two app instances right after expiry, then exactly one refresh reaches the provider and all 50 succeed', async () => {
    const { browser, before } = await signedInAndExpired()
    const asBefore = stack.demo.authorizationServer.requests.mark()
    const pages = await Promise.all(
      Array.from({ length: 50 }, (_, i) => resourceOn(browser, i % 2)),
    )
    expect(pages.map((p) => p.status)).toEqual(Array(50).fill(200))
    expect(refreshesSince(asBefore)).toHaveLength(1)
    const after = await storedTokens(stack, browser)
    expect(after?.refreshToken).not.toBe(before.refreshToken)
    // The rotated refresh token is the one that works now…
    expect((await resourceOn(browser, 1)).status).toBe(200)
    // …and the old one was consumed.
    const replay = await presentRefreshToken(stack, String(before.refreshToken), client)
    expect(replay.body.error).toBe('invalid_grant')
  })

  it('when the refresh takes 1 s, longer than the 300 ms lease, then the holder keeps its lease and 50 requests over two instances cause exactly one refresh', async () => {
    const { browser } = await signedInAndExpired()
    stack.demo.authorizationServer.intercept = async (endpoint) => {
      if (endpoint === 'token') await sleep(1000)
      return undefined
    }
    const asBefore = stack.demo.authorizationServer.requests.mark()
    const pages = await Promise.all(
      Array.from({ length: 50 }, (_, i) => resourceOn(browser, i % 2)),
    )
    expect(pages.map((p) => p.status)).toEqual(Array(50).fill(200))
    expect(refreshesSince(asBefore)).toHaveLength(1)
  })

  it('when the refresh response carries no new refresh token (as Google does), then the stored one is kept', async () => {
    const { browser, before } = await signedInAndExpired()
    stack.tamper = async (request, real) => {
      const response = await real()
      if (!request.url.endsWith('/token') || !request.body.includes('grant_type=refresh_token'))
        return response
      const { refresh_token: _dropped, ...rest } = (await response.json()) as Record<
        string,
        unknown
      >
      return Response.json(rest, { status: response.status, headers: response.headers })
    }
    expect((await resourceOn(browser, 0)).status).toBe(200)
    const after = await storedTokens(stack, browser)
    expect(after?.accessToken).not.toBe(before.accessToken)
    expect(after?.refreshToken).toBe(before.refreshToken)
  })
})

describe('when the grant ends at the provider', () => {
  async function expectReconnectPage(browser: Browser) {
    const page = await resourceOn(browser, 0)
    expect(page.status).toBe(403)
    expect(page.body).toContain('Access to your contacts was revoked or expired — reconnect')
    const session = await storedSession(stack, browser)
    expect(session.personId).toBeDefined() // still signed in: only the grant is gone
    const connection = await storedConnection(stack, browser)
    expect(connection.status).toBe('reconnect_needed')
    expect(connection.grantId).toBeUndefined()
    return page
  }

  /** Follows the page's Reconnect button through the provider and back. */
  async function reconnect(browser: Browser, page: { body: string }) {
    const href = /<a class="button" href="(\/login\?provider=[^"]+)">Reconnect<\/a>/.exec(
      page.body,
    )?.[1]
    expect(href).toBeDefined()
    return signIn(browser, stack.appUrl, { start: String(href).replace(/&amp;/g, '&') })
  }

  it('when an old refresh token is presented after rotation, then the provider revokes the grant and the app shows the reconnect page, and reconnecting works', async () => {
    const { browser, before } = await signedInAndExpired()
    expect((await resourceOn(browser, 0)).status).toBe(200) // rotates RT1 → RT2
    // Someone replays RT1 (a stolen copy): rotation reuse detection revokes the whole grant.
    const replay = await presentRefreshToken(stack, String(before.refreshToken), client)
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe('invalid_grant')

    const { grantId } = await storedConnection(stack, browser)
    await sleep(TTL_SECONDS * 1000 + 100)
    const page = await expectReconnectPage(browser)
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
    const again = await reconnect(browser, page)
    expect(again.status).toBe(200)
    expect(again.body).toContain('250 contacts')
  })

  it('when the person removes the app at the provider, then the next refresh ends in the reconnect page, and reconnecting works', async () => {
    const { browser } = await signedInAndExpired()
    const { grantId } = await storedConnection(stack, browser)
    expect(await stack.demo.authorizationServer.revokeAccountGrants('alice')).toBeGreaterThan(0)
    const page = await expectReconnectPage(browser)
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
    const again = await reconnect(browser, page)
    expect(again.status).toBe(200)
  })

  it('when a refreshed ID token names another person, then the tokens are dropped and the person is signed out', async () => {
    const bob = new Browser()
    const bobTokens: string[] = []
    stack.tamper = async (request, real) => {
      const response = await real()
      if (request.url.endsWith('/token')) {
        const body = (await response.clone().json()) as { id_token?: string }
        if (body.id_token) bobTokens.push(body.id_token)
      }
      return response
    }
    await signIn(bob, stack.appUrl, { username: 'bob', password: 'bob-demo' })
    stack.tamper = undefined
    const bobIdToken = bobTokens[0]
    expect(bobIdToken).toBeDefined()

    const { browser } = await signedInAndExpired()
    stack.tamper = async (request, real) => {
      const response = await real()
      if (!request.body.includes('grant_type=refresh_token')) return response
      const body = (await response.json()) as Record<string, unknown>
      return Response.json({ ...body, id_token: bobIdToken }, { status: response.status })
    }
    const { grantId } = await storedConnection(stack, browser)
    const page = await resourceOn(browser, 0)
    expect(page.status).toBe(403)
    expect(page.body).toContain('The provider answered for a different account')
    expect(page.body).not.toContain('Sign out') // no longer signed in
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
    const after = await resourceOn(browser, 0)
    expect(after.status).toBe(303)
    expect(after.location).toContain('/login')
  })
})

describe('when the provider does not answer', () => {
  it('when the token endpoint answers 503 during a refresh, then the person is told to try again, the tokens are kept, and the next request recovers', async () => {
    const { browser, before } = await signedInAndExpired()
    stack.demo.authorizationServer.intercept = async (endpoint, ctx) => {
      if (endpoint !== 'token') return undefined
      ctx.status = 503
      ctx.body = { error: 'temporarily_unavailable' }
      return false
    }
    const page = await resourceOn(browser, 0)
    expect(page.status).toBe(502)
    expect(page.body).toContain('not answering')
    expect(page.body).toContain('Try again')
    const kept = await storedTokens(stack, browser)
    expect(kept?.refreshToken).toBe(before.refreshToken)
    expect((await storedConnection(stack, browser)).status).toBe('active')

    stack.demo.authorizationServer.intercept = undefined
    await sleep(50)
    const recovered = await resourceOn(browser, 1)
    expect(recovered.status).toBe(200)
  })

  it('when the token endpoint is slower than the timeout, then the page says so in bounded time and the tokens are kept', async () => {
    const { browser, before } = await signedInAndExpired()
    stack.demo.authorizationServer.intercept = async (endpoint) => {
      if (endpoint === 'token') await sleep(3500)
      return undefined
    }
    const started = Date.now()
    const page = await resourceOn(browser, 0)
    expect(page.status).toBe(502)
    expect(Date.now() - started).toBeLessThan(3500)
    expect((await storedTokens(stack, browser))?.refreshToken).toBe(before.refreshToken)
    stack.demo.authorizationServer.intercept = undefined
    await sleep(100)
    expect((await resourceOn(browser, 0)).status).toBe(200)
  })

  it('when the provider rejects the client credentials on refresh, then the person sees a neutral error and the operators a loud log line', async () => {
    const { browser } = await signedInAndExpired()
    stack.demo.authorizationServer.intercept = async (endpoint, ctx) => {
      if (endpoint !== 'token') return undefined
      ctx.status = 401
      ctx.set('WWW-Authenticate', 'Basic realm="demo", error="invalid_client"')
      ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' }
      return false
    }
    const page = await resourceOn(browser, 0)
    expect(page.status).toBe(502)
    expect(page.body).not.toContain(DEMO_CLIENT_SECRET)
    expect(page.body).not.toMatch(/secret|invalid_client/i)
    const loud = stack.logs
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level >= 50)
    expect(loud.some((l) => l.msg.includes('client_secret_basic'))).toBe(true)
  })

  it('when another process holds the refresh lease and never finishes, then waiting ends with a retry page and the session survives', async () => {
    const { browser, before } = await signedInAndExpired()
    const { grantId } = await storedConnection(stack, browser)
    const lock = `${stack.prefix}lock:refresh:${grantId}`
    await stack.redis.set(lock, 'a stuck holder elsewhere', 'PX', 60_000)
    try {
      const page = await resourceOn(browser, 0)
      expect(page.status).toBe(502)
      expect((await storedConnection(stack, browser)).grantId).toBe(grantId)
      expect((await storedTokens(stack, browser))?.refreshToken).toBe(before.refreshToken)
    } finally {
      await stack.redis.del(lock)
    }
    expect((await resourceOn(browser, 0)).status).toBe(200)
  })
})
