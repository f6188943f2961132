// What a person sees when something upstream fails: the provider, its token endpoint, the
// contacts API (as an import meets it) or Redis. Every failure must give a clear page (or JSON) with the right
// status and a way to try again — never a 500, never a stack trace — and must lose nothing:
// a signed-in person stays signed in, with their tokens, and the next request works.
import { createServer, type Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderContext } from '../../demo/authorization-server.ts'
import { freePort } from '../../demo/redis-server.ts'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, startDemoServers } from '../../demo/stack.ts'
import { createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createDatabase, type Database } from '../../src/db/database.ts'
import type { AppError } from '../../src/errors.ts'
import { createImportEngine, type ImportEngine } from '../../src/imports/import-engine.ts'
import { createProviders } from '../../src/oidc/providers.ts'
import { createRedis } from '../../src/redis.ts'
import { createServices } from '../../src/services.ts'
import { Browser, type Hop } from './support/browser.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { readContacts } from './support/read-contacts.ts'
import { followSignInFailure } from './support/sign-in-failure.ts'
import { memoryLogger, startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())
afterEach(() => {
  stack.demo.authorizationServer.intercept = undefined
  stack.demo.contactsServer.faults.clear()
})

interface LogEntry {
  level: number
  msg: string
  err?: { stack?: string }
}
const parseLogs = (lines: string[]) => lines.map((line) => JSON.parse(line) as LogEntry)
const WARN = 40

/** The page's way forward: the button-styled link the error page offers. */
function actionOf(html: string): { label: string; href: string } | undefined {
  const match = /<a class="button" href="([^"]*)">([^<]*)<\/a>/.exec(html)
  return match
    ? { href: String(match[1]).replace(/&amp;/g, '&'), label: String(match[2]) }
    : undefined
}

/** A failure page a person may see: the expected status, no stack trace, no file paths. */
function expectErrorPage(hop: Hop, status: number) {
  expect(hop.status, hop.body.slice(0, 500)).toBe(status)
  expect(hop.status).not.toBe(500)
  expect(hop.headers.get('content-type')).toMatch(/^text\/html/)
  expect(hop.headers.get('cache-control')).toBe('no-store')
  expect(hop.body).toContain('role="alert"')
  expect(hop.body).not.toMatch(/\n\s*at \S/) // stack frames
  expect(hop.body).not.toMatch(/\.(ts|js|mjs):\d+/)
  expect(hop.body).not.toContain(process.cwd())
  expect(hop.body).not.toContain('node_modules')
}

/** No request of the run ended in the catch-all "unhandled error" branch. */
function expectNothingUnhandled(logs: string[]) {
  const unhandled = parseLogs(logs).filter((entry) => entry.msg === 'unhandled error')
  expect(unhandled).toEqual([])
}

/** Refresh requests the provider received after `mark` (a requests.mark()). */
const refreshGrantsSince = (mark: number) =>
  stack.demo.authorizationServer.requests
    .since(mark)
    .filter((r) => r.endpoint === 'token' && r.params.grant_type === 'refresh_token')

async function expectNotSignedIn(browser: Browser, appUrl: string) {
  const hop = await browser.request(`${appUrl}/resource`)
  expect(hop.status).toBe(303)
  expect(hop.location).toBe(`${appUrl}/login?returnTo=%2Fresource`)
}

describe('the authorization server is unreachable at sign-in', () => {
  let down: TestStack
  let closedPort: number
  beforeAll(async () => {
    closedPort = await freePort()
    down = await startStack({ env: { DEMO_ISSUER: `http://127.0.0.1:${closedPort}` } })
  })
  afterAll(() => down?.close())

  it('when a person starts signing in, then a 502 page says the provider is not answering, with a "Try again" link, and nothing is stored', async () => {
    const browser = new Browser()
    const hop = await browser.request(`${down.appUrl}/login?returnTo=%2Fresource`)

    expectErrorPage(hop, 502)
    expect(hop.body).toContain('The provider is not answering')
    expect(hop.body).toContain('PROVIDER_UNAVAILABLE')
    expect(actionOf(hop.body)).toEqual({ label: 'Try again', href: '/login?returnTo=%2Fresource' })
    // Nothing stored: no pending sign-in cookie, no session, nothing in Redis but the
    // sign-in limiter's counter.
    const cookies = (await browser.jar.getCookies(down.appUrl)).map((c) => c.key)
    expect(cookies).toEqual([])
    const keys = await down.redis.keys(`${down.prefix}*`)
    expect(keys.filter((key) => !key.startsWith(`${down.prefix}rl:`))).toEqual([])
    expectNothingUnhandled(down.logs)
  })

  it('when an API client starts signing in, then it gets a JSON 502', async () => {
    const hop = await new Browser().request(`${down.appUrl}/login`, {
      headers: { accept: 'application/json' },
    })
    expect(hop.status).toBe(502)
    expect(hop.headers.get('content-type')).toMatch(/^application\/json/)
    expect(JSON.parse(hop.body)).toEqual({
      error: {
        code: 'PROVIDER_UNAVAILABLE',
        title: 'The provider is not answering',
        message: expect.stringContaining('try again'),
      },
    })
  })

  it('when the provider comes back, then the "Try again" link starts the sign-in (the failure was not cached)', async () => {
    const browser = new Browser()
    const failed = await browser.request(`${down.appUrl}/login?returnTo=%2Fresource`)
    expectErrorPage(failed, 502)
    const retry = actionOf(failed.body)

    const revived = await startDemoServers({
      client: {
        clientId: DEMO_CLIENT_ID,
        clientSecret: DEMO_CLIENT_SECRET,
        redirectUris: [`${down.appUrl}/auth/callback/demo`],
      },
      authorizationPort: closedPort,
    })
    try {
      const hop = await browser.request(`${down.appUrl}${retry?.href}`)
      expect(hop.status).toBe(303)
      expect(hop.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${closedPort}/authorize\\?`))
    } finally {
      await revived.close()
    }
  })
})

describe('the token endpoint fails during the code exchange', () => {
  const failures: Array<[string, (ctx: ProviderContext) => void]> = [
    [
      'a JSON 503 temporarily_unavailable',
      (ctx) => {
        ctx.status = 503
        ctx.body = { error: 'temporarily_unavailable' }
      },
    ],
    [
      'an HTML 502 page from a proxy',
      (ctx) => {
        ctx.status = 502
        ctx.type = 'html'
        ctx.body = '<html><body><h1>502 Bad Gateway</h1></body></html>'
      },
    ],
  ]

  it.each(failures)(
    'when the token endpoint answers %s, then the callback gives a 502 page with a way to sign in again, and the person is not signed in',
    async (_name, answer) => {
      const browser = new Browser()
      const callback = await authorizeAtProvider(browser, stack.appUrl)
      const tokenCalls: string[] = []
      stack.demo.authorizationServer.intercept = async (endpoint, ctx) => {
        if (endpoint !== 'token') return undefined
        tokenCalls.push(endpoint)
        answer(ctx)
        return false
      }
      const tokenKeysBefore = await stack.redis.keys(`${stack.prefix}tok:*`)

      const hop = await followSignInFailure(await browser.request(callback))

      stack.demo.authorizationServer.intercept = undefined
      expect(tokenCalls).toHaveLength(1)
      expectErrorPage(hop, 502)
      expect(hop.body).toContain('The provider is not answering')
      expect(hop.body).not.toContain('Bad Gateway')
      // …and back to the page the sign-in started from.
      expect(actionOf(hop.body)).toEqual({
        label: 'Try signing in again',
        href: '/login?provider=demo&returnTo=%2Fresource',
      })
      expect(await stack.redis.keys(`${stack.prefix}tok:*`)).toEqual(tokenKeysBefore)
      await expectNotSignedIn(browser, stack.appUrl)

      // The way forward works: the same browser signs in from the offered link.
      const retried = await authorizeAtProvider(browser, stack.appUrl, {
        start: actionOf(hop.body)?.href,
      })
      const home = await browser.follow(retried)
      expect(home.status).toBe(200)
      expect(home.url).toBe(`${stack.appUrl}/resource`)
      expectNothingUnhandled(stack.logs)
    },
  )

  it('when the token endpoint is slower than the app’s timeout, then the callback gives a 502 page within the timeout', async () => {
    const browser = new Browser()
    const callback = await authorizeAtProvider(browser, stack.appUrl)
    stack.demo.authorizationServer.intercept = async (endpoint) => {
      if (endpoint === 'token') await sleep(3000)
      return undefined
    }

    const started = performance.now()
    const hop = await followSignInFailure(await browser.request(callback))
    const elapsed = performance.now() - started

    stack.demo.authorizationServer.intercept = undefined
    // HTTP_TIMEOUT_SECONDS is 2 in the stack; the provider would answer after 3 s.
    expect(elapsed).toBeGreaterThanOrEqual(1900)
    expect(elapsed).toBeLessThan(2900)
    expectErrorPage(hop, 502)
    expect(hop.body).toContain('The provider is not answering')
    expect(actionOf(hop.body)?.href).toBe('/login?provider=demo&returnTo=%2Fresource')
    await expectNotSignedIn(browser, stack.appUrl)
    expectNothingUnhandled(stack.logs)
  })
})

describe('the provider rejects the app’s client secret', () => {
  const WRONG_SECRET = 'wrong-secret-7f3a9c1e'
  let misconfigured: TestStack
  let browser: Browser
  let hop: Hop
  beforeAll(async () => {
    misconfigured = await startStack({ env: { DEMO_CLIENT_SECRET: WRONG_SECRET } })
    browser = new Browser()
    const callback = await authorizeAtProvider(browser, misconfigured.appUrl)
    hop = await followSignInFailure(await browser.request(callback))
  })
  afterAll(() => misconfigured?.close())

  const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)

  it('when the code is exchanged with a wrong secret, then the person gets a neutral 502 "misconfigured" page and is not signed in', async () => {
    const exchange = misconfigured.demo.authorizationServer.requests.find(
      (r) => r.endpoint === 'token',
    )
    expect(exchange?.status).toBe(401)
    expectErrorPage(hop, 502)
    expect(hop.body).toContain('Sign-in is misconfigured')
    expect(hop.body).toContain('CLIENT_MISCONFIGURED')
    expect(hop.body).not.toMatch(/secret|invalid_client|client authentication/i)
    await expectNotSignedIn(browser, misconfigured.appUrl)
    expectNothingUnhandled(misconfigured.logs)
  })

  it('when the code is exchanged with a wrong secret, then the operators get a warning or error naming CLIENT_MISCONFIGURED', () => {
    // An operator must be able to tell this apart from an outage without a debugger.
    const reported = misconfigured.logs.filter(
      (line) =>
        (JSON.parse(line) as LogEntry).level >= WARN && line.includes('CLIENT_MISCONFIGURED'),
    )
    expect(reported, misconfigured.logs.join('\n')).not.toEqual([])
  })

  it('when the code is exchanged with a wrong secret, then neither the page nor the log contains the real or the wrong secret in any encoding', () => {
    const shown = [hop.body, JSON.stringify([...hop.headers.entries()])].join('\n')
    const logged = misconfigured.logs.join('\n')
    for (const secret of [WRONG_SECRET, DEMO_CLIENT_SECRET]) {
      const basic = Buffer.from(`${formEncode(DEMO_CLIENT_ID)}:${formEncode(secret)}`).toString(
        'base64',
      )
      for (const form of [secret, formEncode(secret), encodeURIComponent(secret), basic]) {
        expect(shown).not.toContain(form)
        expect(logged).not.toContain(form)
      }
    }
  })
})

// No page reads the provider any more: the contacts API is read by imports, which report
// what failed (the import engine's pages). Here, what each failure is when read the way an
// import reads (support/read-contacts.ts), that nothing is lost, and that the address book
// page is untouched by it.
describe('the contacts API fails while a signed-in person’s contacts are read', () => {
  let alice: Browser
  let aliceTokens: string
  beforeAll(async () => {
    alice = new Browser()
    const before = new Set(await stack.redis.keys(`${stack.prefix}tok:*`))
    const page = await signIn(alice, stack.appUrl, { username: 'alice', password: 'alice-demo' })
    expect(page.status).toBe(200)
    const created = (await stack.redis.keys(`${stack.prefix}tok:*`)).filter((k) => !before.has(k))
    expect(created).toHaveLength(1)
    aliceTokens = String(created[0])
  })

  /** Nothing was lost: still signed in, tokens kept, and with no fault queued it works. */
  async function expectRecovered() {
    expect(await stack.redis.exists(aliceTokens)).toBe(1)
    const home = await alice.request(`${stack.appUrl}/`)
    expect(home.status).toBe(200)
    expect(home.body).toContain('Sign out')
    expect(await readContacts(stack, alice)).toEqual({ ok: true, contacts: 250 })
  }

  it('when the contacts API answers 503, then the read fails as CONTACTS_UNAVAILABLE (502, retryable), no refresh happens, and the address book page still answers', async () => {
    const refreshesBefore = stack.demo.authorizationServer.requests.mark()
    stack.demo.contactsServer.faults.add({ status: 503 })

    const read = await readContacts(stack, alice)

    expect(read).toMatchObject({ ok: false, code: 'CONTACTS_UNAVAILABLE', status: 502 })
    expect(read.ok || (read.error as AppError).retryable).toBe(true)
    expect(refreshGrantsSince(refreshesBefore)).toHaveLength(0)
    // The address book page is read from PostgreSQL: the contacts API's state is not its.
    const callsBefore = stack.demo.contactsServer.requests.mark()
    const page = await alice.request(`${stack.appUrl}/contacts`)
    expect(page.status).toBe(200)
    expect(stack.demo.contactsServer.requests.since(callsBefore)).toEqual([])
    await expectRecovered()
    expectNothingUnhandled(stack.logs)
  })

  it('when the contacts API answers 500, then the read fails as CONTACTS_UNAVAILABLE', async () => {
    stack.demo.contactsServer.faults.add({ status: 500 })
    expect(await readContacts(stack, alice)).toMatchObject({
      ok: false,
      code: 'CONTACTS_UNAVAILABLE',
      status: 502,
    })
    await expectRecovered()
    expectNothingUnhandled(stack.logs)
  })

  it('when the contacts API is slower than the app’s timeout, then the read fails within the timeout', async () => {
    stack.demo.contactsServer.faults.add({ status: 200, body: { connections: [] }, delayMs: 3000 })

    const started = performance.now()
    const read = await readContacts(stack, alice)
    const elapsed = performance.now() - started

    expect(elapsed).toBeLessThan(2900)
    expect(read).toMatchObject({ ok: false, code: 'CONTACTS_UNAVAILABLE' })
    await expectRecovered()
    expectNothingUnhandled(stack.logs)
  })

  it('when the contacts API answers 403 insufficient_scope, then the read fails as CONTACTS_FORBIDDEN for this provider, without a refresh', async () => {
    const refreshesBefore = stack.demo.authorizationServer.requests.mark()
    stack.demo.contactsServer.faults.add({ status: 403 })

    const read = await readContacts(stack, alice)

    expect(read).toMatchObject({ ok: false, code: 'CONTACTS_FORBIDDEN', status: 403 })
    expect(read.ok || (read.error as AppError).provider).toBe('demo')
    expect(refreshGrantsSince(refreshesBefore)).toHaveLength(0)
    await expectRecovered()
    expectNothingUnhandled(stack.logs)
  })

  it('when the contacts API refuses the access token twice in a row, then the app refreshes once, retries once, and fails as CONTACTS_UNAUTHORIZED', async () => {
    const refreshesBefore = stack.demo.authorizationServer.requests.mark()
    const callsBefore = stack.demo.contactsServer.requests.mark()
    stack.demo.contactsServer.faults.add({ status: 401, times: 2 })

    const read = await readContacts(stack, alice)

    expect(read).toMatchObject({ ok: false, code: 'CONTACTS_UNAUTHORIZED', status: 403 })
    expect(read.ok || read.message).toContain('keeps refusing')
    const refreshes = refreshGrantsSince(refreshesBefore)
    expect(refreshes).toHaveLength(1)
    expect(refreshes[0]?.status).toBe(200)
    const calls = stack.demo.contactsServer.requests.since(callsBefore)
    expect(calls.map((c) => c.status)).toEqual([401, 401])
    await expectRecovered()
    expectNothingUnhandled(stack.logs)
  })

  it('when the contacts API refuses the access token once, then the app refreshes once and reads every contact', async () => {
    const refreshesBefore = stack.demo.authorizationServer.requests.mark()
    stack.demo.contactsServer.faults.add({ status: 401, times: 1 })

    expect(await readContacts(stack, alice)).toEqual({ ok: true, contacts: 250 })
    const refreshes = refreshGrantsSince(refreshesBefore)
    expect(refreshes).toHaveLength(1)
    expect(refreshes[0]?.params.grant_type).toBe('refresh_token')
    expect(refreshes[0]?.status).toBe(200)
    await expectRecovered()
  })

  it('when the contacts API answers 200 with a body that is not JSON, then the read fails as CONTACTS_BAD_RESPONSE, without quoting it', async () => {
    stack.demo.contactsServer.faults.add({ status: 200, body: 'not json' })

    const read = await readContacts(stack, alice)

    expect(read).toMatchObject({ ok: false, code: 'CONTACTS_BAD_RESPONSE', status: 502 })
    expect(read.ok || read.message).toContain('could not read')
    expect(read.ok || read.message).not.toContain('not json')
    await expectRecovered()
    expectNothingUnhandled(stack.logs)
  })
})

describe('Redis is down', () => {
  let server: Server
  let downUrl: string
  const logs: string[] = []
  let redis: ReturnType<typeof createRedis>
  let db: Database
  let imports: ImportEngine
  let person: Browser

  beforeAll(async () => {
    // The person signs in while Redis is up; then they reach an app instance whose Redis is
    // gone (same secrets, so their cookie is valid there).
    person = new Browser()
    await signIn(person, stack.appUrl)

    const config = loadConfig({ ...stack.env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
    const log = memoryLogger(logs)
    redis = createRedis(config.redis.url)
    // As main.ts does: connection problems are logged, not thrown.
    redis.on('error', (err: Error) =>
      log.warn({ err: { message: err.message } }, 'redis connection problem'),
    )
    db = createDatabase(config.database, log)
    const providers = createProviders(config, log)
    const services = createServices({ config, log, redis, db, providers })
    imports = createImportEngine({ config, log, redis, db, services, providers })
    server = createServer(createApp({ config, log, redis, db, providers, services, imports }))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    downUrl = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.close(() => resolve())
      server?.closeAllConnections()
    })
    await imports?.close()
    redis?.disconnect()
    await db?.close()
  })

  function expectUnavailable(hop: Hop) {
    expectErrorPage(hop, 503)
    expect(hop.body).toContain('Temporarily unavailable')
    expect(hop.body).toContain('STORE_UNAVAILABLE')
    expect(hop.headers.get('retry-after')).toMatch(/^\d+$/)
  }

  it('when a signed-in person opens the start page, then it is a 503 "Temporarily unavailable" page with Retry-After and "Try again"', async () => {
    const hop = await person.request(`${downUrl}/`)
    expectUnavailable(hop)
    expect(actionOf(hop.body)).toEqual({ label: 'Try again', href: '/' })
  })

  it('when a signed-in person opens /resource, then it is a 503 "Temporarily unavailable" page with Retry-After', async () => {
    const hop = await person.request(`${downUrl}/resource`)
    expectUnavailable(hop)
    expect(actionOf(hop.body)).toEqual({ label: 'Try again', href: '/resource' })
  })

  it('when an API client asks for /resource, then it gets a JSON 503 with Retry-After', async () => {
    const hop = await person.request(`${downUrl}/resource`, {
      headers: { accept: 'application/json' },
    })
    expect(hop.status).toBe(503)
    expect(hop.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(JSON.parse(hop.body)).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } })
  })

  // /login itself needs no Redis any more; its rate limit does, and refuses rather than
  // lets the sign-in through to a callback that could not finish (web/rate-limit.ts).
  it('when someone starts signing in, then it is a 503 page, not a 500', async () => {
    const hop = await new Browser().request(`${downUrl}/login`)
    expectUnavailable(hop)
  })

  it('when the orchestrator asks, then /readyz is 503 "unavailable" and /healthz is 200', async () => {
    const ready = await fetch(`${downUrl}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ status: 'unavailable' })
    const health = await fetch(`${downUrl}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
  })

  it('when these requests failed, then nothing was logged as an unhandled error or with a stack, and the person is still signed in where Redis is up', async () => {
    await person.request(`${downUrl}/resource`)
    const entries = parseLogs(logs)
    expect(entries.filter((entry) => entry.msg === 'unhandled error')).toEqual([])
    expect(entries.filter((entry) => Boolean(entry.err?.stack))).toEqual([])

    const page = await person.request(`${stack.appUrl}/resource`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('<h1>Your contacts</h1>')
  })

  it('when these requests failed, then the log says which failure it was (STORE_UNAVAILABLE)', async () => {
    await person.request(`${downUrl}/resource`)
    const failed = logs.filter((line) => line.includes('"request failed"'))
    expect(failed).not.toEqual([])
    for (const line of failed) expect(line).toContain('STORE_UNAVAILABLE')
  })
})
