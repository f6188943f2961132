// The token lifecycle against the real demo provider (2-second access tokens, rotating
// refresh tokens) and a real Redis: transparent refresh, exactly one refresh under
// concurrency across app instances, and what happens when the grant dies or the provider
// does not answer. The contacts are read as an import reads them (support/read-contacts.ts):
// no page of the app calls the provider.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../demo/stack.ts'
import { Browser } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { readContacts } from './support/read-contacts.ts'
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

const readOn = (browser: Browser, instance: number) => readContacts(stack, browser, instance)

describe('refreshing access tokens', () => {
  it('when the access token has expired, then the next read refreshes it transparently and works', async () => {
    const { browser, before } = await signedInAndExpired()
    const asBefore = stack.demo.authorizationServer.requests.mark()
    expect(await readOn(browser, 0)).toEqual({ ok: true, contacts: 250 })
    expect(refreshesSince(asBefore)).toHaveLength(1)
    const after = await storedTokens(stack, browser)
    expect(after?.accessToken).not.toBe(before.accessToken)
    // The demo provider rotates: the stored refresh token is the new one.
    expect(after?.refreshToken).not.toBe(before.refreshToken)
    expect(after?.refreshedAt).toBeGreaterThan(0)
    expect(after?.version).toBe(before.version + 1)
    // The connection panel tells when, never what.
    const page = await browser.request(`${stack.appUrl}/contacts`)
    expect(page.body).toMatch(/Last refresh<\/dt><dd><time/)
    expect(page.body).not.toContain(String(after?.accessToken).slice(-20))
  })

  // Bob's book is empty: 50 reads of one cheap page each keep the load on the token path,
  // not on the demo contacts server.
  it('when 50 reads of one connection run on two app instances right after expiry, then exactly one refresh reaches the provider and all 50 succeed', async () => {
    const { browser, before } = await signedInAndExpired('bob')
    const asBefore = stack.demo.authorizationServer.requests.mark()
    const reads = await Promise.all(Array.from({ length: 50 }, (_, i) => readOn(browser, i % 2)))
    expect(reads.map((r) => (r.ok ? 'ok' : `${r.code}: ${r.message}`))).toEqual(
      Array(50).fill('ok'),
    )
    expect(refreshesSince(asBefore)).toHaveLength(1)
    const after = await storedTokens(stack, browser)
    expect(after?.refreshToken).not.toBe(before.refreshToken)
    // The rotated refresh token is the one that works now…
    expect((await readOn(browser, 1)).ok).toBe(true)
    // …and the old one was consumed.
    const replay = await presentRefreshToken(stack, String(before.refreshToken), client)
    expect(replay.body.error).toBe('invalid_grant')
  })

  it('when the refresh takes 1 s, longer than the 300 ms lease, then the holder keeps its lease and 50 reads over two instances cause exactly one refresh', async () => {
    const { browser } = await signedInAndExpired('bob')
    stack.demo.authorizationServer.intercept = async (endpoint) => {
      if (endpoint === 'token') await sleep(1000)
      return undefined
    }
    const asBefore = stack.demo.authorizationServer.requests.mark()
    const reads = await Promise.all(Array.from({ length: 50 }, (_, i) => readOn(browser, i % 2)))
    expect(reads.map((r) => (r.ok ? 'ok' : `${r.code}: ${r.message}`))).toEqual(
      Array(50).fill('ok'),
    )
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
    expect((await readOn(browser, 0)).ok).toBe(true)
    const after = await storedTokens(stack, browser)
    expect(after?.accessToken).not.toBe(before.accessToken)
    expect(after?.refreshToken).toBe(before.refreshToken)
  })
})

describe('when the grant ends at the provider', () => {
  /** The read fails with "reconnect", and the address book page offers to. */
  async function expectReconnectPage(browser: Browser) {
    const read = await readOn(browser, 0)
    expect(read).toMatchObject({ ok: false, code: 'GRANT_REVOKED', status: 403 })
    expect(read.ok || read.message).toBe(
      'Access to your contacts was revoked or expired — reconnect to continue.',
    )
    const page = await browser.request(`${stack.appUrl}/contacts`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('Access ended at Demo Provider')
    const session = await storedSession(stack, browser)
    expect(session.personId).toBeDefined() // still signed in: only the grant is gone
    const connection = await storedConnection(stack, browser)
    expect(connection.status).toBe('reconnect_needed')
    expect(connection.grantId).toBeUndefined()
    return page
  }

  /** Presses the page's Reconnect button (the connect flow) through the provider and back. */
  async function reconnect(browser: Browser, page: { body: string }) {
    const button =
      /<form method="post" action="\/connect"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]+)">\s*<input type="hidden" name="connection" value="([^"]+)">\s*<button type="submit">Reconnect Demo Provider<\/button>/.exec(
        page.body,
      )
    expect(button).not.toBeNull()
    return signIn(browser, stack.appUrl, {
      start: '/connect',
      form: { _csrf: String(button?.[1]), connection: String(button?.[2]) },
    })
  }

  it('when an old refresh token is presented after rotation, then the provider revokes the grant, the read says to reconnect, and reconnecting works', async () => {
    const { browser, before } = await signedInAndExpired()
    expect((await readOn(browser, 0)).ok).toBe(true) // rotates RT1 → RT2
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
    // The reconnected source's import is the next page.
    expect(again.url).toMatch(new RegExp(`^${stack.appUrl}/imports/[0-9a-f-]{36}$`))
    expect(await readOn(browser, 0)).toEqual({ ok: true, contacts: 250 })
  })

  it('when the person removes the app at the provider, then the next refresh says to reconnect, and reconnecting works', async () => {
    const { browser } = await signedInAndExpired()
    const { grantId } = await storedConnection(stack, browser)
    expect(await stack.demo.authorizationServer.revokeAccountGrants('alice')).toBeGreaterThan(0)
    const page = await expectReconnectPage(browser)
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
    const again = await reconnect(browser, page)
    expect(again.status).toBe(200)
    expect((await readOn(browser, 0)).ok).toBe(true)
  })

  it('when a refreshed ID token names another person, then the tokens are dropped, nothing is read, the connection needs reconnecting, and the browser is signed out', async () => {
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
    const connection = await storedConnection(stack, browser)
    const { key } = await storedSession(stack, browser)
    const contactsBefore = stack.demo.contactsServer.requests.mark()
    // On the second instance: the session ends wherever the refresh happens.
    const read = await readOn(browser, 1)
    expect(read).toMatchObject({ ok: false, code: 'IDENTITY_MISMATCH', status: 403 })
    expect(read.ok || read.message).toContain('The provider answered for a different account')
    expect(stack.demo.contactsServer.requests.since(contactsBefore)).toEqual([])
    expect(await stack.redis.exists(`${stack.prefix}tok:${connection.grantId}`)).toBe(0)
    expect(await stack.redis.exists(key)).toBe(0)
    const next = await browser.request(`${stack.appUrl}/contacts`)
    expect(next.status).toBe(303)
    expect(next.location).toBe(`${stack.appUrl}/login?returnTo=%2Fcontacts`)
    const people = stack.apps[0]?.services.people
    const after = await people?.connection(connection.personId, connection.id)
    expect(after?.status).toBe('reconnect_needed')
  })
})

describe('when the provider does not answer', () => {
  it('when the token endpoint answers 503 during a refresh, then the read fails as retryable, the tokens are kept, and the next read recovers', async () => {
    const { browser, before } = await signedInAndExpired()
    stack.demo.authorizationServer.intercept = async (endpoint, ctx) => {
      if (endpoint !== 'token') return undefined
      ctx.status = 503
      ctx.body = { error: 'temporarily_unavailable' }
      return false
    }
    const read = await readOn(browser, 0)
    expect(read).toMatchObject({ ok: false, code: 'PROVIDER_UNAVAILABLE', status: 502 })
    expect(read.ok || read.message).toContain('not answering')
    expect(read.ok || (read.error as { retryable: boolean }).retryable).toBe(true)
    const kept = await storedTokens(stack, browser)
    expect(kept?.refreshToken).toBe(before.refreshToken)
    expect((await storedConnection(stack, browser)).status).toBe('active')

    stack.demo.authorizationServer.intercept = undefined
    await sleep(50)
    expect(await readOn(browser, 1)).toEqual({ ok: true, contacts: 250 })
  })

  it('when the token endpoint is slower than the timeout, then the read fails in bounded time and the tokens are kept', async () => {
    const { browser, before } = await signedInAndExpired()
    stack.demo.authorizationServer.intercept = async (endpoint) => {
      if (endpoint === 'token') await sleep(3500)
      return undefined
    }
    const started = Date.now()
    const read = await readOn(browser, 0)
    expect(read).toMatchObject({ ok: false, status: 502 })
    expect(Date.now() - started).toBeLessThan(3500)
    expect((await storedTokens(stack, browser))?.refreshToken).toBe(before.refreshToken)
    stack.demo.authorizationServer.intercept = undefined
    await sleep(100)
    expect((await readOn(browser, 0)).ok).toBe(true)
  })

  it('when the provider rejects the client credentials on refresh, then the person is told something neutral and the operators get a loud log line', async () => {
    const { browser } = await signedInAndExpired()
    stack.demo.authorizationServer.intercept = async (endpoint, ctx) => {
      if (endpoint !== 'token') return undefined
      ctx.status = 401
      ctx.set('WWW-Authenticate', 'Basic realm="demo", error="invalid_client"')
      ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' }
      return false
    }
    const read = await readOn(browser, 0)
    expect(read).toMatchObject({ ok: false, status: 502 })
    expect(read.ok || read.message).not.toContain(DEMO_CLIENT_SECRET)
    expect(read.ok || read.message).not.toMatch(/secret|invalid_client/i)
    const loud = stack.logs
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level >= 50)
    expect(loud.some((l) => l.msg.includes('client_secret_basic'))).toBe(true)
  })

  it('when another process holds the refresh lease and never finishes, then waiting ends with a retryable failure and the connection survives', async () => {
    const { browser, before } = await signedInAndExpired()
    const { grantId } = await storedConnection(stack, browser)
    const lock = `${stack.prefix}lock:refresh:${grantId}`
    await stack.redis.set(lock, 'a stuck holder elsewhere', 'PX', 60_000)
    try {
      const read = await readOn(browser, 0)
      expect(read).toMatchObject({ ok: false, status: 502 })
      expect((await storedConnection(stack, browser)).grantId).toBe(grantId)
      expect((await storedTokens(stack, browser))?.refreshToken).toBe(before.refreshToken)
    } finally {
      await stack.redis.del(lock)
    }
    expect((await readOn(browser, 0)).ok).toBe(true)
  })
})
