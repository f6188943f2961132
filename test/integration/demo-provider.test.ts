// What the bundled demo provider guarantees to the people who run it on their own machine:
// its error pages show a status and nothing of its internals (no stack, no file path), its
// in-memory store keeps the grants of people who signed in however much anonymous traffic
// arrives, its request logs stay bounded, and it listens on loopback only.
// No app and no Redis here: the demo servers are started directly on free loopback ports.
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import { createMemoryAdapter } from '../../demo/memory-adapter.ts'
import { REQUEST_LOG_LIMIT } from '../../demo/request-log.ts'
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  type DemoServers,
  type DemoServersOptions,
  startDemoServers,
} from '../../demo/stack.ts'
import { Browser, formAction } from './support/browser.ts'

// Nothing listens here: the flow stops at the redirect and reads the code from its URL.
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback/demo'
const CONNECTIONS = '/v1/people/me/connections'

function start(options: Partial<DemoServersOptions> = {}): Promise<DemoServers> {
  return startDemoServers({
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      redirectUris: [REDIRECT_URI],
    },
    ...options,
  })
}

interface RawResponse {
  status: number
  contentType: string
  body: string
}

/**
 * A request exactly as given, through node:http: fetch() refuses a body on GET and
 * normalises headers, and these tests need both.
 */
function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers }
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body))
    const req = httpRequest(url, { method: init.method ?? 'GET', headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body,
        }),
      )
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

/** A page or body a person may see: nothing of the server's internals. */
function expectNoInternals(body: string) {
  expect(body).not.toMatch(/\n\s*at \S/) // stack frames
  expect(body).not.toMatch(/\.(ts|js|mjs|cjs):\d+/)
  expect(body).not.toContain(process.cwd())
  expect(body).not.toContain('node_modules')
  expect(body).not.toMatch(/Error: /) // an error's name and message printed as such
}

const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)
const BASIC = `Basic ${Buffer.from(
  `${formEncode(DEMO_CLIENT_ID)}:${formEncode(DEMO_CLIENT_SECRET)}`,
).toString('base64')}`

function pkce() {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

function authorizeUrl(demo: DemoServers, challenge: string): string {
  const params = new URLSearchParams({
    client_id: DEMO_CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid offline_access contacts.read',
    resource: demo.contactsAudience,
    // oidc-provider issues a refresh token for offline_access only with an explicit consent.
    prompt: 'consent',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  })
  return `${demo.issuer}/authorize?${params}`
}

async function postToken(demo: DemoServers, params: Record<string, string>) {
  const res = await fetch(`${demo.issuer}/token`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  })
  return { status: res.status, body: (await res.json()) as Record<string, string> }
}

/** Signs alice in through the provider's own login and consent forms; returns her tokens. */
async function signInAtProvider(demo: DemoServers) {
  const browser = new Browser()
  const { verifier, challenge } = pkce()
  const isCallback = (url: string) => url.startsWith(REDIRECT_URI)
  let hop = await browser.follow(authorizeUrl(demo, challenge), { stopAt: isCallback })
  for (let step = 0; step < 4 && !(hop.location && isCallback(hop.location)); step++) {
    expect(hop.status, hop.body.slice(0, 300)).toBe(200)
    hop = hop.body.includes('name="password"')
      ? await browser.follow(formAction(hop.body, '/login', hop.url), {
          form: { username: 'alice', password: 'alice-demo' },
          stopAt: isCallback,
        })
      : await browser.follow(formAction(hop.body, '/confirm', hop.url), {
          form: {},
          stopAt: isCallback,
        })
  }
  const code = new URL(String(hop.location)).searchParams.get('code')
  expect(code).toMatch(/^[\w-]{20,}$/)
  const tokens = await postToken(demo, {
    grant_type: 'authorization_code',
    code: String(code),
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  })
  expect(tokens.status).toBe(200)
  expect(tokens.body.refresh_token).toMatch(/^[\w-]{20,}$/)
  return tokens.body
}

/** Runs `task` `count` times, `concurrency` at a time. */
async function repeat(count: number, concurrency: number, task: (n: number) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

/** The login page's URL, with the interaction cookies it needs, for a fresh anonymous visitor. */
async function openLoginPage(demo: DemoServers) {
  const browser = new Browser()
  const hop = await browser.follow(authorizeUrl(demo, pkce().challenge))
  expect(hop.body).toContain('name="password"')
  const login = formAction(hop.body, '/login', hop.url)
  return {
    login,
    confirm: login.replace(/\/login$/, '/confirm'),
    cookie: await browser.jar.getCookieString(login),
  }
}

describe('demo provider: error pages show a status, never internals', () => {
  let demo: DemoServers
  beforeAll(async () => {
    demo = await start()
  })
  afterAll(() => demo?.close())

  const FORM = 'application/x-www-form-urlencoded'
  const bigForm = `username=${'x'.repeat(10_000)}`
  const encoded = (extra: Record<string, string> = {}) => ({ 'content-type': FORM, ...extra })
  const formCases: Array<['login' | 'confirm', string, Record<string, string>, string, number]> = [
    ['login', 'a body over its 4 kB limit', encoded(), bigForm, 413],
    [
      'login',
      'a charset it cannot decode',
      encoded({ 'content-type': `${FORM}; charset=koi8-r` }),
      'a=b',
      415,
    ],
    ['login', 'an unknown content-encoding', encoded({ 'content-encoding': 'bogus' }), 'a=b', 415],
    [
      'login',
      'a gzip content-encoding that is not gzip',
      encoded({ 'content-encoding': 'gzip' }),
      'a=b',
      400,
    ],
    ['confirm', 'a body over its 4 kB limit', encoded(), bigForm, 413],
  ]

  it.each(formCases)(
    'when the %s form gets %s, then a plain HTML page with the status and no internals',
    async (form, _problem, headers, body, status) => {
      const page = await openLoginPage(demo)
      const res = await raw(page[form], {
        method: 'POST',
        headers: { ...headers, cookie: page.cookie, accept: 'text/html' },
        body,
      })
      expect(res.status, res.body.slice(0, 300)).toBe(status)
      expect(res.contentType).toMatch(/^text\/html/)
      expect(res.body).toContain('Demo Provider')
      expectNoInternals(res.body)
    },
  )

  it('when a JSON client sends a form body over the limit, then JSON with the status and an OAuth error code', async () => {
    const page = await openLoginPage(demo)
    const res = await raw(page.login, {
      method: 'POST',
      headers: { 'content-type': FORM, cookie: page.cookie, accept: 'application/json' },
      body: bigForm,
    })
    expect(res.status).toBe(413)
    expect(res.contentType).toMatch(/^application\/json/)
    expect(JSON.parse(res.body)).toEqual({
      error: 'invalid_request',
      error_description: expect.any(String),
    })
    expectNoInternals(res.body)
  })

  it.each([
    ['GET', '/interaction/%E0%A4%A'],
    ['POST', '/interaction/%E0/login'],
    ['POST', '/interaction/%E0/confirm'],
  ])('when %s %s has a broken percent-encoding, then a plain 400 page', async (method, path) => {
    const res = await raw(`${demo.issuer}${path}`, {
      method,
      headers: { 'content-type': FORM, accept: 'text/html' },
      body: method === 'POST' ? 'a=b' : undefined,
    })
    expect(res.status).toBe(400)
    expect(res.contentType).toMatch(/^text\/html/)
    expectNoInternals(res.body)
  })

  it('when a login page fails unexpectedly, then a generic 500 page that names nothing of the failure', async () => {
    const page = await openLoginPage(demo)
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    const failing = vi
      .spyOn(demo.authorizationServer.provider, 'interactionDetails')
      .mockRejectedValue(new Error(`boom in ${process.cwd()}/demo/interactions.ts:42`))
    onTestFinished(() => {
      failing.mockRestore()
      quiet.mockRestore()
    })
    const res = await raw(page.login.replace(/\/login$/, ''), {
      headers: { cookie: page.cookie, accept: 'text/html' },
    })
    expect(res.status).toBe(500)
    expect(res.contentType).toMatch(/^text\/html/)
    expect(res.body).not.toContain('boom')
    expectNoInternals(res.body)
    // The operator still learns what happened, on the terminal that runs the demo.
    expect(quiet).toHaveBeenCalled()
  })

  it.each([
    ['a body over the limit', `${FORM}`, `grant_type=${'x'.repeat(100_000)}`, 'application/json'],
    ['malformed JSON', 'application/json', '{"grant_type":', 'application/json'],
    ['a charset it cannot decode', `${FORM}; charset=koi8-rr`, 'grant_type=x', 'text/html'],
    [
      'a body over the limit (browser)',
      `${FORM}`,
      `grant_type=${'x'.repeat(100_000)}`,
      'text/html',
    ],
  ])(
    "when oidc-provider's token endpoint gets %s, then its error has a status and no internals",
    async (_name, contentType, body, accept) => {
      const res = await raw(`${demo.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': contentType, accept },
        body,
      })
      expect(res.status).toBe(400)
      expect(res.contentType.startsWith(accept)).toBe(true)
      expectNoInternals(res.body)
    },
  )

  it('when the logout form gets a body over the limit, then the provider renders its own page without internals', async () => {
    const res = await raw(`${demo.issuer}/session/end/confirm`, {
      method: 'POST',
      headers: { 'content-type': FORM, accept: 'text/html' },
      body: `xsrf=${'x'.repeat(100_000)}`,
    })
    expect(res.status).toBe(400)
    expect(res.contentType).toMatch(/^text\/html/)
    expect(res.body).toContain('Demo Provider')
    expectNoInternals(res.body)
  })

  it.each([
    ['a form body over the limit', { 'content-type': FORM }, bigForm.repeat(2), 413],
    ['an unsupported charset', { 'content-type': `${FORM}; charset=koi8-r` }, 'a=b', 415],
    [
      'an unknown content-encoding',
      { 'content-type': FORM, 'content-encoding': 'bogus' },
      'a=b',
      415,
    ],
  ])(
    'when the contacts server gets %s, then a Google-style JSON error with the status',
    async (_name, headers, body, status) => {
      const res = await raw(`${demo.contactsUrl}${CONNECTIONS}?personFields=names`, {
        headers,
        body,
      })
      expect(res.status).toBe(status)
      expect(res.contentType).toMatch(/^application\/json/)
      expect(JSON.parse(res.body).error.code).toBe(status)
      expectNoInternals(res.body)
    },
  )

  it('when the contacts server gets a broken percent-encoding in the path, then a JSON 400', async () => {
    const res = await raw(`${demo.contactsUrl}/v1/people/%E0/connections`)
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error.status).toBe('INVALID_ARGUMENT')
    expectNoInternals(res.body)
  })
})

describe('demo provider: anonymous traffic cannot evict the grants of people who signed in', () => {
  it('when 3,000 anonymous /authorize requests follow a sign-in, then the refresh token still works at /token', {
    timeout: 90_000,
  }, async () => {
    const demo = await start()
    onTestFinished(() => demo.close())
    const tokens = await signInAtProvider(demo)

    const started = Date.now()
    await repeat(3_000, 16, async () => {
      const res = await fetch(authorizeUrl(demo, pkce().challenge), { redirect: 'manual' })
      await res.arrayBuffer()
      expect(res.status).toBe(303)
    })
    expect(Date.now() - started).toBeLessThan(60_000)
    const stored = demo.authorizationServer.storedRecords()
    expect(stored.Interaction).toBeLessThanOrEqual(1_000)
    expect(stored.Grant).toBe(1)

    const refreshed = await postToken(demo, {
      grant_type: 'refresh_token',
      refresh_token: String(tokens.refresh_token),
    })
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200)
    // A new pair: the grant survived the flood, and rotation still works.
    expect(refreshed.body.access_token).toMatch(/^\S{20,}$/)
    expect(refreshed.body.refresh_token).toMatch(/^[\w-]{20,}$/)
    expect(refreshed.body.refresh_token).not.toBe(tokens.refresh_token)
  })
})

describe('demo memory adapter', () => {
  it('when one model overflows its bound, then only its own oldest records go', async () => {
    const adapter = createMemoryAdapter({ limits: { Interaction: 10, Grant: 10 } })
    const grants = adapter('Grant')
    const interactions = adapter('Interaction')
    await grants.upsert('g1', { accountId: 'alice' }, 3600)
    for (let n = 0; n < 100; n++) await interactions.upsert(`i${n}`, { kind: 'Interaction' }, 600)
    expect(await grants.find('g1')).toEqual({ accountId: 'alice' })
    expect(await interactions.find('i0')).toBeUndefined()
    expect(await interactions.find('i89')).toBeUndefined()
    expect(await interactions.find('i90')).toEqual({ kind: 'Interaction' })
    expect(await interactions.find('i99')).toEqual({ kind: 'Interaction' })
  })

  it('when a record is read, then it counts as recently used and outlives unread ones', async () => {
    const sessions = createMemoryAdapter({ limits: { Session: 3 } })('Session')
    for (const id of ['a', 'b', 'c']) await sessions.upsert(id, { uid: `u-${id}` }, 60)
    await sessions.find('a')
    await sessions.upsert('d', { uid: 'u-d' }, 60)
    expect(await sessions.find('a')).toBeDefined()
    expect(await sessions.find('b')).toBeUndefined()
    expect(await sessions.findByUid('u-b')).toBeUndefined()
    expect(await sessions.findByUid('u-d')).toEqual({ uid: 'u-d' })
  })

  it('when expiresIn has passed, then the record is gone; without expiresIn it stays', async () => {
    vi.useFakeTimers()
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const codes = createMemoryAdapter()('AuthorizationCode')
    await codes.upsert('short', { grantId: 'g' }, 60)
    await codes.upsert('forever', { grantId: 'g' })
    vi.advanceTimersByTime(59_000)
    expect(await codes.find('short')).toBeDefined()
    vi.advanceTimersByTime(2_000)
    expect(await codes.find('short')).toBeUndefined()
    expect(await codes.find('forever')).toBeDefined()
  })

  it('when clockTolerance is set, then a record lives that much longer', async () => {
    vi.useFakeTimers()
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const codes = createMemoryAdapter({ clockTolerance: 5 })('AuthorizationCode')
    await codes.upsert('c', {}, 60)
    vi.advanceTimersByTime(64_000)
    expect(await codes.find('c')).toBeDefined()
    vi.advanceTimersByTime(2_000)
    expect(await codes.find('c')).toBeUndefined()
  })

  it('when a token is consumed, then find shows when, and the stored record is not shared with callers', async () => {
    const tokens = createMemoryAdapter()('RefreshToken')
    await tokens.upsert('rt', { grantId: 'g', scope: 'openid' }, 60)
    const found = await tokens.find('rt')
    if (found) found.scope = 'changed by the caller'
    await tokens.consume('rt')
    const consumed = await tokens.find('rt')
    expect(consumed?.scope).toBe('openid')
    expect(typeof consumed?.consumed).toBe('number')
    await expect(tokens.consume('missing')).resolves.toBeUndefined()
  })

  it('when a grant is revoked, then exactly its records of that model go', async () => {
    const adapter = createMemoryAdapter()
    const refresh = adapter('RefreshToken')
    const codes = adapter('AuthorizationCode')
    await refresh.upsert('r1', { grantId: 'g1' }, 60)
    await refresh.upsert('r2', { grantId: 'g1' }, 60)
    await refresh.upsert('r3', { grantId: 'g2' }, 60)
    await codes.upsert('c1', { grantId: 'g1' }, 60)
    await refresh.revokeByGrantId('g1')
    expect(await refresh.find('r1')).toBeUndefined()
    expect(await refresh.find('r2')).toBeUndefined()
    expect(await refresh.find('r3')).toBeDefined()
    // oidc-provider calls revokeByGrantId on each model; each answers for its own records.
    expect(await codes.find('c1')).toBeDefined()
    await codes.revokeByGrantId('g1')
    expect(await codes.find('c1')).toBeUndefined()
  })

  it('when a record moves to another grant or is destroyed, then revoking the old grant leaves it alone', async () => {
    const refresh = createMemoryAdapter()('RefreshToken')
    await refresh.upsert('r1', { grantId: 'old' }, 60)
    await refresh.upsert('r1', { grantId: 'new' }, 60)
    await refresh.revokeByGrantId('old')
    expect(await refresh.find('r1')).toEqual({ grantId: 'new' })
    await refresh.destroy('r1')
    expect(await refresh.find('r1')).toBeUndefined()
  })

  it('when a device code is stored with a user code, then findByUserCode finds it until it is destroyed', async () => {
    const codes = createMemoryAdapter()('DeviceCode')
    await codes.upsert('dc', { userCode: 'ABCD-EFGH', grantId: 'g' }, 60)
    expect(await codes.findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH', grantId: 'g' })
    await codes.destroy('dc')
    expect(await codes.findByUserCode('ABCD-EFGH')).toBeUndefined()
  })

  it('when a limit is not a positive integer, then creating the adapter throws a TypeError', () => {
    expect(() => createMemoryAdapter({ limits: { Session: 0 } })).toThrow(TypeError)
    expect(() => createMemoryAdapter({ limits: { Session: 1.5 } })).toThrow(TypeError)
  })
})

describe('demo provider: request logs stay bounded', () => {
  let demo: DemoServers
  beforeAll(async () => {
    demo = await start()
  })
  afterAll(() => demo?.close())

  it('when more requests than the limit reach the contacts server, then it keeps the most recent ones', async () => {
    const log = demo.contactsServer.requests
    const mark = log.mark()
    await repeat(REQUEST_LOG_LIMIT + 100, 16, async (n) => {
      const res = await fetch(`${demo.contactsUrl}${CONNECTIONS}?personFields=names&n=${n}`)
      await res.arrayBuffer()
    })
    expect(log).toHaveLength(REQUEST_LOG_LIMIT)
    expect(log.every((entry) => entry.status === 401)).toBe(true)
    // The mark was taken before the 1,100: a hundred of them are gone, and since() says so
    // instead of silently returning the rest.
    expect(() => log.since(mark)).toThrow(RangeError)

    const recent = log.mark()
    const res = await fetch(`${demo.contactsUrl}${CONNECTIONS}?personFields=names&n=last`)
    await res.arrayBuffer()
    expect(log.since(recent).map((entry) => entry.query.n)).toEqual(['last'])
    expect(log.at(-1)?.query.n).toBe('last')
    expect(log).toHaveLength(REQUEST_LOG_LIMIT)
  })

  it('when more token requests than the limit reach the authorization server, then it keeps the most recent ones', async () => {
    const log = demo.authorizationServer.requests
    await repeat(REQUEST_LOG_LIMIT + 100, 16, async (n) => {
      const res = await fetch(`${demo.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: `rt${n}` }),
      })
      await res.arrayBuffer()
    })
    expect(log).toHaveLength(REQUEST_LOG_LIMIT)
    expect(log.every((entry) => entry.endpoint === 'token' && entry.status === 400)).toBe(true)
    // Derived arrays are plain arrays again: filtering never trims.
    expect(log.filter(() => true)).toHaveLength(REQUEST_LOG_LIMIT)
    expect(Array.isArray(log)).toBe(true)
  })
})

describe('demo provider: loopback only', () => {
  const isLoopback = (address: string) => address === '::1' || address.startsWith('127.')
  const outsideAddress = () =>
    Object.values(networkInterfaces())
      .flat()
      .find((info) => info && !info.internal && info.family === 'IPv4')?.address

  async function expectLoopbackOnly(demo: DemoServers) {
    expect(isLoopback(demo.listening.authorization.address)).toBe(true)
    expect(isLoopback(demo.listening.contacts.address)).toBe(true)
    const outside = outsideAddress()
    if (outside === undefined) return // a machine with loopback only: nothing more to prove
    for (const { port } of [demo.listening.authorization, demo.listening.contacts]) {
      const url = `http://${isIP(outside) === 6 ? `[${outside}]` : outside}:${port}/`
      await expect(fetch(url, { signal: AbortSignal.timeout(2000) })).rejects.toThrow()
    }
  }

  it('when no bind host is given, then both servers listen on 127.0.0.1 and not on other interfaces', async () => {
    const demo = await start()
    onTestFinished(() => demo.close())
    expect(demo.listening.authorization.address).toBe('127.0.0.1')
    expect(demo.listening.contacts.address).toBe('127.0.0.1')
    await expectLoopbackOnly(demo)
  })

  it('when the bind host is empty (an unset variable), then it is still loopback, not every interface', async () => {
    const demo = await start({ bindHost: '' })
    onTestFinished(() => demo.close())
    await expectLoopbackOnly(demo)
  })

  it('when a public name is given for the URLs, then the servers still bind to loopback', async () => {
    const demo = await start({ publicHost: 'localhost' })
    onTestFinished(() => demo.close())
    expect(demo.issuer).toMatch(/^http:\/\/localhost:\d+$/)
    await expectLoopbackOnly(demo)
  })
})
