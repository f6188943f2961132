// Revocation (RFC 7009) when the provider has no endpoint for it or fails, and the Redis
// lifetimes of everything a sign-in leaves behind.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Browser, formValue } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { storedConnection, storedSession } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

const revocations = (stack: TestStack) =>
  stack.demo.authorizationServer.requests.filter((r) => r.endpoint === 'revocation')

describe('a provider without a revocation endpoint (like Microsoft)', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startStack()
    // Before the first request: discovery then reports no revocation_endpoint.
    stack.tamper = async (request, real) => {
      const response = await real()
      if (!request.url.endsWith('/.well-known/openid-configuration')) return response
      const { revocation_endpoint: _gone, ...metadata } = (await response.json()) as Record<
        string,
        unknown
      >
      return Response.json(metadata)
    }
  })
  afterAll(() => stack?.close())

  it('when the person disconnects, then the app forgets the tokens and tells them to remove access at the provider', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl)
    const { grantId } = await storedConnection(stack, browser)
    const hop = await browser.request(`${stack.appUrl}/disconnect`, {
      form: { _csrf: String(formValue(page.body, '_csrf')) },
    })
    expect(hop.location).toBe(`${stack.appUrl}/?disconnected=local`)
    const home = await browser.request(String(hop.location))
    expect(home.body).toContain('Your provider offers no way for apps to revoke access')
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
    expect(revocations(stack)).toHaveLength(0)
  })

  it('when the person signs out, then they are signed out without any revocation request', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl)
    const { key } = await storedSession(stack, browser)
    const hop = await browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: String(formValue(page.body, '_csrf')) },
    })
    expect(hop.status).toBe(303)
    expect(await stack.redis.exists(key)).toBe(0)
    expect(revocations(stack)).toHaveLength(0)
  })
})

describe('when revocation fails, and what stays in Redis', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack?.close())
  afterEach(() => {
    stack.demo.authorizationServer.intercept = undefined
  })

  it('when the revocation endpoint answers 503, then signing out still signs out and forgets the tokens', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl)
    const { key } = await storedSession(stack, browser)
    const { grantId } = await storedConnection(stack, browser)
    stack.demo.authorizationServer.intercept = async (endpoint, ctx) => {
      if (endpoint !== 'revocation') return undefined
      ctx.status = 503
      ctx.body = { error: 'temporarily_unavailable' }
      return false
    }
    const hop = await browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: String(formValue(page.body, '_csrf')) },
    })
    expect(hop.status).toBe(303)
    expect(await stack.redis.exists(key)).toBe(0)
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
    const after = await browser.request(`${stack.appUrl}/resource`)
    expect(after.location).toContain('/login')
    expect(stack.logs.some((line) => line.includes('token revocation failed'))).toBe(true)
  })

  it('when a sign-in starts and completes, then nothing it leaves in Redis lives forever', async () => {
    const browser = new Browser()
    const before = new Set(await stack.redis.keys(`${stack.prefix}*`))
    const start = await browser.request(`${stack.appUrl}/login?provider=demo`)
    expect(start.status).toBe(303)
    // Starting writes nothing but the sign-in limiter's counter (which expires): the
    // pending sign-in is this browser's cookie, for as long as the sign-in may take, and
    // there is no session yet.
    const started = (await stack.redis.keys(`${stack.prefix}*`)).filter((k) => !before.has(k))
    expect(started.every((key) => key.startsWith(`${stack.prefix}rl:`))).toBe(true)
    const [pending] = (await browser.jar.getCookies(stack.appUrl)).filter((c) =>
      c.key.startsWith('ci.login.'),
    )
    expect(pending?.maxAge).toBe(600)
    expect(await browser.cookie(stack.appUrl, 'ci.sid')).toBeUndefined()

    await signIn(browser, stack.appUrl)
    const { key } = await storedSession(stack, browser)
    const { grantId } = await storedConnection(stack, browser)
    const sessionTtl = await stack.redis.pttl(key)
    const tokenTtl = await stack.redis.pttl(`${stack.prefix}tok:${grantId}`)
    const day = 24 * 3600 * 1000
    expect(sessionTtl).toBeGreaterThan(day - 60_000)
    expect(sessionTtl).toBeLessThanOrEqual(day)
    // The token record lives as long as its connection may need it (CONNECTION_IDLE_DAYS).
    expect(tokenTtl).toBeGreaterThan(30 * day - 60_000)
    expect(tokenTtl).toBeLessThanOrEqual(30 * day)
    // The import queue's keys are BullMQ's own state: the first import the sign-in queued
    // waits there for a worker, and a finished job is removed (imports/import-queue.ts).
    const leftovers = (await stack.redis.keys(`${stack.prefix}*`)).filter(
      (k) => !k.startsWith(`${stack.prefix}bull:`),
    )
    for (const leftover of leftovers) expect(await stack.redis.pttl(leftover)).toBeGreaterThan(0)
    // The one-time marker of the used state lives no longer than the state could be used.
    const markers = leftovers.filter((k) => k.startsWith(`${stack.prefix}consumed:`))
    expect(markers.length).toBeGreaterThan(0)
    for (const marker of markers)
      expect(await stack.redis.pttl(marker)).toBeLessThanOrEqual(600_000)
  })
})
