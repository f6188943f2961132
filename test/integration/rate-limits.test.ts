// Rate limits, counted in Redis so that every app instance shares them: per client address
// on sign-in (/login and the callback), per signed-in person on the state-changing POSTs.
// Over the limit, the one error handler answers 429 with Retry-After and a page that says
// what happened; a spoofed X-Forwarded-For does not make a new client unless TRUST_PROXY
// says a proxy wrote it.
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import express from 'express'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createErrorHandler } from '../../src/web/error-handler.ts'
import { createRateLimiter } from '../../src/web/rate-limit.ts'
import { Browser, formValue, type Hop } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { followSignInFailure } from './support/sign-in-failure.ts'
import { memoryLogger, startStack, type TestStack, tokenRequests } from './support/stack.ts'

const LOGIN_LIMIT = 5
const ACTIONS_LIMIT = 3

/** Forgets every counter, so each test starts with a full budget. */
async function resetCounters(stack: TestStack) {
  const keys = await stack.redis.keys(`${stack.prefix}rl:*`)
  if (keys.length > 0) await stack.redis.del(...keys)
}

function expectRateLimited(hop: Hop) {
  expect(hop.status, hop.body.slice(0, 300)).toBe(429)
  const retryAfter = Number(hop.headers.get('retry-after'))
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(60)
  expect(hop.headers.get('cache-control')).toBe('no-store')
  expect(hop.location).toBeUndefined()
}

function expectRateLimitedPage(hop: Hop) {
  expectRateLimited(hop)
  expect(hop.headers.get('content-type')).toMatch(/^text\/html/)
  expect(hop.body).toContain('<h1>Too many requests</h1>')
  expect(hop.body).toContain('<code>RATE_LIMITED</code>')
  expect(hop.body).toContain('role="alert"')
  expect(hop.body).toMatch(/try again in (a minute|\d+ seconds?)/i)
}

const login = (appUrl: string) => `${appUrl}/login?provider=demo`

describe('per client address, on sign-in', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startStack({
      instances: 2,
      env: {
        RATE_LIMIT_LOGIN_PER_MINUTE: String(LOGIN_LIMIT),
        RATE_LIMIT_ACTIONS_PER_MINUTE: String(ACTIONS_LIMIT),
      },
    })
  })
  afterAll(() => stack?.close())
  beforeEach(() => resetCounters(stack))

  it('when one address starts more sign-ins in a minute than the limit, then the extra ones get a 429 page with Retry-After and no redirect to the provider', async () => {
    for (let i = 0; i < LOGIN_LIMIT; i++) {
      expect((await new Browser().request(login(stack.appUrl))).status).toBe(303)
    }

    const page = await new Browser().request(login(stack.appUrl))
    const json = await new Browser().request(login(stack.appUrl), {
      headers: { accept: 'application/json' },
    })

    expectRateLimitedPage(page)
    expectRateLimited(json)
    expect(JSON.parse(json.body)).toEqual({
      error: { code: 'RATE_LIMITED', title: 'Too many requests', message: expect.any(String) },
    })
    const logged = stack.logs.filter((line) => line.includes('"errorCode":"RATE_LIMITED"'))
    expect(logged.length).toBeGreaterThanOrEqual(2)
    expect(stack.logs.filter((line) => line.includes('"unhandled error"'))).toEqual([])
  })

  it('when the callback is flooded from one address, then it spends the same budget and the extra callbacks never reach the provider', async () => {
    for (let i = 0; i < LOGIN_LIMIT - 2; i++) await new Browser().request(login(stack.appUrl))
    const forged = () =>
      new Browser().request(
        `${stack.appUrl}/auth/callback/demo?code=x&state=${randomBytes(32).toString('base64url')}`,
      )
    expect((await followSignInFailure(await forged())).status).toBe(400)
    expect((await followSignInFailure(await forged())).status).toBe(400)
    const before = tokenRequests(stack).length

    const hop = await followSignInFailure(await forged())

    expectRateLimitedPage(hop)
    expect(tokenRequests(stack)).toHaveLength(before)
  })

  it('when the two app instances are asked in turn, then they count against one budget', async () => {
    const urls = stack.apps.map((app) => app.url)
    expect(urls).toHaveLength(2)
    const statuses: number[] = []
    for (let i = 0; i < LOGIN_LIMIT + 2; i++) {
      const hop = await new Browser().request(login(String(urls[i % 2])))
      statuses.push(hop.status)
    }

    expect(statuses).toEqual([...Array(LOGIN_LIMIT).fill(303), 429, 429])
  })

  it('when a client sends another X-Forwarded-For with every request and TRUST_PROXY is off, then it is still one client', async () => {
    const statuses: number[] = []
    for (let i = 0; i < LOGIN_LIMIT + 1; i++) {
      const hop = await new Browser().request(login(stack.appUrl), {
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      })
      statuses.push(hop.status)
    }

    expect(statuses.at(-1)).toBe(429)
  })
})

describe('per signed-in person, on the state-changing POSTs', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startStack({
      instances: 2,
      env: {
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
        RATE_LIMIT_ACTIONS_PER_MINUTE: String(ACTIONS_LIMIT),
      },
    })
  })
  afterAll(() => stack?.close())

  async function signedIn(username: string) {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl, { username, password: `${username}-demo` })
    expect(page.status).toBe(200)
    return { browser, csrf: String(formValue(page.body, '_csrf')) }
  }

  it('when a person posts more than the limit in a minute, then the extra POSTs get a 429 page on every instance and for every action, while another person at the same address is not held back', async () => {
    const alice = await signedIn('alice')
    const bob = await signedIn('bob')
    await resetCounters(stack)
    // Wrong CSRF tokens: nothing happens, but each attempt still spends the budget.
    for (let i = 0; i < ACTIONS_LIMIT; i++) {
      const hop = await alice.browser.request(`${stack.apps[i % 2]?.url}/logout`, {
        form: { _csrf: 'wrong' },
      })
      expect(hop.status).toBe(403)
    }

    const logout = await alice.browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: alice.csrf },
    })
    const disconnect = await alice.browser.request(`${stack.apps[1]?.url}/disconnect`, {
      form: { _csrf: alice.csrf },
    })
    const choose = await alice.browser.request(`${stack.appUrl}/connections/choose`, {
      form: { _csrf: alice.csrf, choice: 'cancel' },
    })
    const other = await bob.browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: 'wrong' },
    })

    expectRateLimitedPage(logout)
    expectRateLimitedPage(disconnect)
    expectRateLimitedPage(choose)
    expect(other.status).toBe(403)
    // Still signed in: the 429s changed nothing.
    expect((await alice.browser.request(`${stack.appUrl}/resource`)).status).toBe(200)
  })
})

describe('behind a trusted proxy (TRUST_PROXY)', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startStack({
      env: { TRUST_PROXY: 'loopback', RATE_LIMIT_LOGIN_PER_MINUTE: '2' },
    })
  })
  afterAll(() => stack?.close())
  beforeEach(() => resetCounters(stack))

  const via = (forwardedFor: string) =>
    new Browser().request(login(stack.appUrl), { headers: { 'x-forwarded-for': forwardedFor } })

  it('when the proxy forwards two clients, then each has its own budget, and what a client writes in front of the proxy’s entry does not make it a new one', async () => {
    // The proxy appends the address it saw; a client may have put anything before it.
    const first = [
      await via('203.0.113.9'),
      await via('1.1.1.1, 203.0.113.9'),
      await via('8.8.8.8, 203.0.113.9'),
    ]
    const second = await via('198.51.100.7')

    expect(first.map((hop) => hop.status)).toEqual([303, 303, 429])
    expect(second.status).toBe(303)
  })
})

describe('a named limiter for what comes next (imports, exports)', () => {
  let stack: TestStack
  const servers: Server[] = []
  beforeAll(async () => {
    stack = await startStack()
  })
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
  })
  afterAll(() => stack?.close())

  /** A process of its own: its own Redis client and limiter, the stack's Redis and prefix. */
  async function instance(): Promise<string> {
    const app = stack.apps[0]
    if (!app) throw new Error('no app')
    const log = memoryLogger(stack.logs)
    const limiter = createRateLimiter(
      { redis: app.redis, keys: app.services.keys, log },
      { name: 'import', limit: 2, windowSeconds: 60, per: 'address' },
    )
    const web = express()
    web.post('/import', limiter, (_req, res) => {
      res.status(202).json({ started: true })
    })
    web.use(createErrorHandler(log))
    const server = createServer(web)
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  }

  it('when a limiter is made with a name, then its budget is its own, kept under the prefix, and shared by every instance', async () => {
    const [a, b] = [await instance(), await instance()]
    const post = (url: string) =>
      fetch(`${url}/import`, { method: 'POST', headers: { accept: 'application/json' } })

    const statuses = [(await post(a)).status, (await post(b)).status]
    const third = await post(a)

    expect(statuses).toEqual([202, 202])
    expect(third.status).toBe(429)
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await third.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } })
    const counters = await stack.redis.keys(`${stack.prefix}rl:import:*`)
    expect(counters).toHaveLength(1)
    // The sign-in budget was not touched by it.
    expect((await new Browser().request(login(stack.appUrl))).status).toBe(303)
  })
})
