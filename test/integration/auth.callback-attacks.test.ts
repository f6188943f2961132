// What an attacker tries against the sign-in callback (oauth-client-security.md A1–A16):
// forged, replayed, swapped and tampered authorization responses. Each test checks what
// the person sees (status, page, JSON) and, where the request is forged, that no token
// request ever reached the provider: the cheap checks must come before the exchange.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../demo/stack.ts'
import type { PendingLogin } from '../../src/auth/pending-login.ts'
import { Browser, type Hop } from './support/browser.ts'
import { authorizeAtProvider, type SignInOptions, signIn } from './support/login.ts'
import { storedConnection } from './support/session.ts'
import { followSignInFailure } from './support/sign-in-failure.ts'
import { startStack, type TestStack, tokenRequests } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())

const EVIL = 'https://evil.example'

const PAGE = {
  stateMissing: {
    status: 400,
    code: 'LOGIN_STATE_MISSING',
    title: 'Sign-in could not be completed',
    message:
      'The answer from the provider did not carry exactly one "state" value, so it was rejected.',
  },
  stateUnknown: {
    status: 400,
    code: 'LOGIN_STATE_UNKNOWN',
    title: 'Sign-in could not be completed',
    message: 'This sign-in link has expired or was already used. Please sign in again.',
  },
  otherBrowser: {
    status: 400,
    code: 'LOGIN_STATE_MISMATCH',
    title: 'Sign-in could not be completed',
    message:
      'This sign-in was started in another browser, or replaced by newer sign-ins in this one, so it cannot finish here. Please sign in again.',
  },
  notVerified: {
    status: 400,
    code: 'LOGIN_INVALID_RESPONSE',
    title: 'Sign-in could not be verified',
    message: 'The sign-in response could not be verified, so it was rejected. Please start again.',
  },
  declined: {
    status: 403,
    code: 'LOGIN_DECLINED',
    title: 'You declined access — try again',
    message:
      'You declined access, so the app cannot read your contacts. You can try again whenever you like.',
  },
  unknownProvider: {
    status: 404,
    code: 'UNKNOWN_PROVIDER',
    title: 'Unknown provider',
    message: 'There is no sign-in provider by that name.',
  },
} as const

type ExpectedPage = { status: number; code: string; title: string; message: string }

/** EJS's escaping of `<%= %>` output, to find a text the way it appears in the page. */
const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] ?? c,
  )

/** The failure page, reached through the callback's 303 to a clean URL. */
async function expectErrorPage(answer: Hop, page: ExpectedPage): Promise<Hop> {
  const atCallback = answer.url.includes('/auth/callback/')
  if (atCallback) expect(answer.status, answer.body.slice(0, 500)).toBe(303)
  const hop = atCallback ? await followSignInFailure(answer) : answer
  if (atCallback) expect(hop.url).toContain('/sign-in/failed')
  expect(hop.status, hop.body.slice(0, 500)).toBe(page.status)
  expect(hop.headers.get('content-type')).toMatch(/^text\/html/)
  expect(hop.body).toContain(`<h1>${html(page.title)}</h1>`)
  expect(hop.body).toContain(html(page.message))
  expect(hop.body).toContain(`<code>${page.code}</code>`)
  // Never a stack trace or a library's message.
  expect(hop.body).not.toMatch(/at .*\.(ts|js):\d+|ClientError|ResponseBodyError|OAUTH_/)
  return hop
}

async function expectSignedOut(browser: Browser) {
  const hop = await browser.request(`${stack.appUrl}/resource`)
  expect(hop.status).toBe(303)
  expect(hop.location).toBe(`${stack.appUrl}/login?returnTo=%2Fresource`)
}

const callback = (query: string, provider = 'demo') =>
  `${stack.appUrl}/auth/callback/${provider}?${query}`

/** Runs the flow at the provider and returns its answer, not yet delivered to the app. */
async function pendingCallback(browser: Browser, options: SignInOptions = {}) {
  const url = new URL(await authorizeAtProvider(browser, stack.appUrl, options))
  const param = (name: string) => String(url.searchParams.get(name))
  // The provider's real RFC 9207 issuer: hand-built callbacks reuse it.
  expect(param('iss')).toBe(stack.demo.issuer)
  return { url: url.href, code: param('code'), state: param('state'), iss: param('iss') }
}

const services = () => {
  const app = stack.apps[0]
  if (!app) throw new Error('no app')
  return app.services
}

/**
 * The pending sign-in this browser holds for `state` (its cookie, opened with the app's own
 * key), and a way to replace it: what an attacker cannot do, to simulate a corrupted one.
 */
async function heldLogin(browser: Browser, state: string) {
  const { pendingLogins } = services()
  for (const cookie of await browser.jar.getCookies(stack.appUrl)) {
    if (!cookie.key.startsWith('ci.login.')) continue
    const login = pendingLogins.open(cookie.value, cookie.key)
    if (login?.state !== state) continue
    return {
      login,
      async replace(edited: PendingLogin) {
        const sealed = pendingLogins.seal(edited, cookie.key)
        await browser.jar.setCookie(`${cookie.key}=${sealed}; Path=/; HttpOnly`, stack.appUrl)
      },
    }
  }
  return undefined
}

async function expectHeldLogin(browser: Browser, state: string) {
  const held = await heldLogin(browser, state)
  if (!held) throw new Error('this browser holds no pending sign-in for that state')
  return held
}
const tokenKeys = async () => (await stack.redis.keys(`${stack.prefix}tok:*`)).sort()

async function sessionOf(browser: Browser): Promise<Record<string, unknown> | undefined> {
  const cookie = await browser.cookie(stack.appUrl, 'ci.sid')
  if (!cookie) return undefined
  const sid = decodeURIComponent(cookie).slice(2).split('.')[0]
  const raw = await stack.redis.get(`${stack.prefix}sess:${sid}`)
  return raw === null ? undefined : (JSON.parse(raw) as Record<string, unknown>)
}

/** Runs `act` while every token response passes through `edit`. */
async function withTokenResponses<T>(
  edit: (body: Record<string, unknown>) => Record<string, unknown>,
  act: () => Promise<T>,
): Promise<T> {
  stack.tamper = async (request, real) => {
    const response = await real()
    if (request.url !== `${stack.demo.issuer}/token`) return response
    const body = edit((await response.json()) as Record<string, unknown>)
    const headers = new Headers(response.headers)
    headers.delete('content-length')
    headers.delete('content-encoding')
    return new Response(JSON.stringify(body), { status: response.status, headers })
  }
  try {
    return await act()
  } finally {
    stack.tamper = undefined
  }
}

/** RFC 6749 Appendix B encoding, then Basic (§2.3.1), as a client must send it. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
const basicAuth = `Basic ${Buffer.from(
  `${formEncode(DEMO_CLIENT_ID)}:${formEncode(DEMO_CLIENT_SECRET)}`,
).toString('base64')}`

async function refreshAtProvider(refreshToken: string) {
  const response = await fetch(`${stack.demo.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** What the provider answered to token requests made while `act` ran. */
async function recordTokenAnswers<T>(act: () => Promise<T>) {
  const answers: Record<string, unknown>[] = []
  stack.tamper = async (request, real) => {
    const response = await real()
    if (request.url === `${stack.demo.issuer}/token`) {
      answers.push((await response.clone().json()) as Record<string, unknown>)
    }
    return response
  }
  try {
    return { result: await act(), answers }
  } finally {
    stack.tamper = undefined
  }
}

describe('forged and replayed state (A1)', () => {
  it('when a callback without state arrives while a sign-in is pending, then 400, no token request, and the real sign-in still completes', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length

    const hop = await browser.request(
      callback(`code=${pending.code}&iss=${encodeURIComponent(pending.iss)}`),
    )

    await expectErrorPage(hop, PAGE.stateMissing)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
    const done = await browser.follow(pending.url)
    expect(done.url).toBe(`${stack.appUrl}/resource`)
    expect(done.status).toBe(200)
  })

  it('when a callback names a state the app never issued, then 400 and no token request', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length

    const forged = randomBytes(32).toString('base64url')
    const hop = await browser.request(
      callback(`code=${pending.code}&state=${forged}&iss=${encodeURIComponent(pending.iss)}`),
    )

    await expectErrorPage(hop, PAGE.stateUnknown)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })

  it("when a fresh browser opens another browser's callback URL (login CSRF), then 400, no token request and no session", async () => {
    const attacker = new Browser()
    const planted = await pendingCallback(attacker)
    const before = tokenRequests(stack).length

    const victim = new Browser()
    const hop = await victim.request(planted.url)

    await expectErrorPage(hop, PAGE.otherBrowser)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(victim)
    expect(await victim.cookie(stack.appUrl, 'ci.sid')).toBeUndefined()
  })

  it("when a browser that started its own sign-in opens another browser's callback URL, then 400 and no token request", async () => {
    const attacker = new Browser()
    const planted = await pendingCallback(attacker)
    const victim = new Browser()
    const started = await victim.request(`${stack.appUrl}/login`)
    expect(started.status).toBe(303)
    const before = tokenRequests(stack).length

    const hop = await victim.request(planted.url)

    await expectErrorPage(hop, PAGE.otherBrowser)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(victim)
  })

  it('when a used callback URL is requested again, then 400 and no second token request', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const first = await browser.request(pending.url)
    expect(first.status).toBe(303)
    const before = tokenRequests(stack).length
    const connectionBefore = await storedConnection(stack, browser)

    const replay = await browser.request(pending.url)

    await expectErrorPage(replay, PAGE.stateUnknown)
    expect(tokenRequests(stack)).toHaveLength(before)
    // The replay changed nothing: the person stays signed in to the first sign-in's grant.
    expect((await storedConnection(stack, browser)).grantId).toBe(connectionBefore.grantId)
  })

  it('when the state parameter is repeated, then 400 and no token request', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length

    const hop = await browser.request(
      callback(
        `state=${pending.state}&state=${pending.state}&code=${pending.code}&iss=${encodeURIComponent(pending.iss)}`,
      ),
    )

    await expectErrorPage(hop, PAGE.stateMissing)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })
})

describe('PKCE and the ID token (A2, A3)', () => {
  it('when the pending code_verifier was corrupted, then the provider answers invalid_grant, the page says 400 and nobody is signed in', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const held = await expectHeldLogin(browser, pending.state)
    const corrupted = randomBytes(32).toString('base64url')
    expect(corrupted).not.toBe(held.login.codeVerifier)
    await held.replace({ ...held.login, codeVerifier: corrupted })
    const recordsBefore = await tokenKeys()
    const asBefore = stack.demo.authorizationServer.requests.mark()

    const { result: hop, answers } = await recordTokenAnswers(() => browser.request(pending.url))

    await expectErrorPage(hop, PAGE.notVerified)
    const received = stack.demo.authorizationServer.requests.since(asBefore)
    expect(received).toHaveLength(1)
    expect(received[0]?.params.code_verifier).toBe(corrupted)
    expect(received[0]?.status).toBe(400)
    expect(answers.map((a) => a.error)).toEqual(['invalid_grant'])
    expect(await tokenKeys()).toEqual(recordsBefore)
    await expectSignedOut(browser)
  })

  it("when the token response carries another sign-in's ID token (nonce mismatch), then 400, no session user and no token record", async () => {
    // A second, completed sign-in (bob's) supplies a genuine, correctly signed ID token.
    const { answers } = await recordTokenAnswers(() =>
      signIn(new Browser(), stack.appUrl, { username: 'bob', password: 'bob-demo' }),
    )
    const foreignIdToken = String(answers[0]?.id_token)
    expect(foreignIdToken.split('.')).toHaveLength(3)

    const victim = new Browser()
    const pending = await pendingCallback(victim)
    const stored = (await expectHeldLogin(victim, pending.state)).login
    const foreignNonce = JSON.parse(
      Buffer.from(String(foreignIdToken.split('.')[1]), 'base64url').toString(),
    ).nonce
    expect(foreignNonce).not.toBe(stored.nonce)
    const recordsBefore = await tokenKeys()
    const before = tokenRequests(stack).length

    const hop = await withTokenResponses(
      (body) => ({ ...body, id_token: foreignIdToken }),
      () => victim.request(pending.url),
    )

    await expectErrorPage(hop, PAGE.notVerified)
    expect(tokenRequests(stack)).toHaveLength(before + 1)
    const session = await sessionOf(victim)
    expect(session?.personId).toBeUndefined()
    expect(session?.connectionIds).toBeUndefined()
    expect(await tokenKeys()).toEqual(recordsBefore)
    await expectSignedOut(victim)
  })

  it('when the token response has no ID token, then 400 and nobody is signed in', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const recordsBefore = await tokenKeys()
    const before = tokenRequests(stack).length

    const hop = await withTokenResponses(
      ({ id_token: _dropped, ...rest }) => rest,
      () => browser.request(pending.url),
    )

    await expectErrorPage(hop, PAGE.notVerified)
    expect(tokenRequests(stack)).toHaveLength(before + 1)
    expect((await sessionOf(browser))?.personId).toBeUndefined()
    expect(await tokenKeys()).toEqual(recordsBefore)
    await expectSignedOut(browser)
  })
})

describe('mix-up defence: the iss parameter (A4)', () => {
  it('when iss is replaced by another issuer, then 400 and no token request', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const url = new URL(pending.url)
    url.searchParams.set('iss', EVIL)
    const before = tokenRequests(stack).length

    const hop = await browser.request(url.href)

    await expectErrorPage(hop, PAGE.notVerified)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })

  it('when iss is removed, then 400 and no token request', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const url = new URL(pending.url)
    url.searchParams.delete('iss')
    const before = tokenRequests(stack).length

    const hop = await browser.request(url.href)

    await expectErrorPage(hop, PAGE.notVerified)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })

  it('when access_denied comes with a wrong iss, then the "could not be verified" 400 page, not the declined page', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length

    let hop = await browser.request(
      callback(`error=access_denied&state=${pending.state}&iss=${encodeURIComponent(EVIL)}`),
    )

    hop = await expectErrorPage(hop, PAGE.notVerified)
    expect(hop.body).not.toContain(html(PAGE.declined.title))
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })
})

describe('open redirects through returnTo (A6)', () => {
  const values = [
    'https://evil.example',
    '//evil.example',
    '/\\evil.example',
    '%2F%2Fevil.example',
    'javascript:alert(1)',
    '/%09/evil.example',
    '/a/../..//evil.example',
  ]
  const cases = values.flatMap((value) => [
    { value, form: 'as typed', query: value },
    { value, form: 'percent-encoded', query: encodeURIComponent(value) },
  ])

  it.each(cases)(
    'when /login?returnTo=$value ($form) is followed by a completed sign-in, then the person lands on the start page',
    async ({ query }) => {
      const browser = new Browser()
      const pending = await pendingCallback(browser, { start: `/login?returnTo=${query}` })

      const landed = await browser.follow(pending.url)

      const answer = browser.history.find((hop) => hop.url === pending.url)
      expect(answer?.status).toBe(303)
      expect(answer?.location).toBe(`${stack.appUrl}/`)
      expect(landed.url).toBe(`${stack.appUrl}/`)
      expect(landed.status).toBe(200)
      for (const hop of browser.history) {
        expect(new URL(hop.url).origin).toMatch(
          new RegExp(`^(${stack.appUrl}|${stack.demo.issuer})$`),
        )
      }
    },
  )
})

describe('authorization code injection and replay (A7)', () => {
  it("when browser A's code is delivered with browser B's state, then the provider refuses it (PKCE), B sees an error and is not signed in", async () => {
    const browserA = new Browser()
    const stolen = await pendingCallback(browserA)
    const browserB = new Browser()
    const own = await pendingCallback(browserB)
    const recordsBefore = await tokenKeys()
    const asBefore = stack.demo.authorizationServer.requests.mark()

    const { result: hop, answers } = await recordTokenAnswers(() =>
      browserB.request(
        callback(`code=${stolen.code}&state=${own.state}&iss=${encodeURIComponent(own.iss)}`),
      ),
    )

    await expectErrorPage(hop, PAGE.notVerified)
    const received = stack.demo.authorizationServer.requests.since(asBefore)
    expect(received).toHaveLength(1)
    expect(received[0]?.params.code).toBe(stolen.code)
    expect(received[0]?.status).toBe(400)
    expect(answers.map((a) => a.error)).toEqual(['invalid_grant'])
    expect(await tokenKeys()).toEqual(recordsBefore)
    await expectSignedOut(browserB)
  })

  it('when a used code is injected into a new sign-in of the same browser, then the provider refuses it, an error page shows and the first sign-in is kept', async () => {
    const browser = new Browser()
    const first = await pendingCallback(browser)
    expect((await browser.request(first.url)).status).toBe(303)
    const { grantId } = await storedConnection(stack, browser)
    const recordsBefore = await tokenKeys()

    const second = await pendingCallback(browser, { start: '/login' })
    const { result: hop, answers } = await recordTokenAnswers(() =>
      browser.request(
        callback(`code=${first.code}&state=${second.state}&iss=${encodeURIComponent(second.iss)}`),
      ),
    )

    await expectErrorPage(hop, PAGE.notVerified)
    expect(answers.map((a) => a.error)).toEqual(['invalid_grant'])
    expect(await tokenKeys()).toEqual(recordsBefore)
    expect((await storedConnection(stack, browser)).grantId).toBe(grantId)
  })

  it('when a used code is exchanged a second time with its own verifier, then the provider revokes the grant and the first refresh token stops working', async () => {
    // The replay must get past PKCE to reach the provider's reuse detection: the new
    // sign-in carries the verifier the first exchange used, as a leaked verifier or a
    // client that re-sends an exchange would.
    const browser = new Browser()
    const first = await pendingCallback(browser)
    const asBefore = stack.demo.authorizationServer.requests.mark()
    expect((await browser.request(first.url)).status).toBe(303)
    const firstExchange = stack.demo.authorizationServer.requests
      .since(asBefore)
      .find((r) => r.endpoint === 'token' && r.params.grant_type === 'authorization_code')
    const usedVerifier = String(firstExchange?.params.code_verifier)
    const { grantId = '', provider, subject } = await storedConnection(stack, browser)
    const record = await stack.apps[0]?.services.tokens.load({ grantId, provider, subject })
    const refreshToken = String(record?.refreshToken)
    expect(record?.refreshToken).toBeTypeOf('string')

    const second = await pendingCallback(browser, { start: '/login' })
    const held = await expectHeldLogin(browser, second.state)
    await held.replace({ ...held.login, codeVerifier: usedVerifier })
    const { result: hop, answers } = await recordTokenAnswers(() =>
      browser.request(
        callback(`code=${first.code}&state=${second.state}&iss=${encodeURIComponent(second.iss)}`),
      ),
    )

    await expectErrorPage(hop, PAGE.notVerified)
    expect(answers.map((a) => a.error)).toEqual(['invalid_grant'])
    expect((await storedConnection(stack, browser)).grantId).toBe(grantId)
    const refresh = await refreshAtProvider(refreshToken)
    expect(refresh.status).toBe(400)
    expect(refresh.body.error).toBe('invalid_grant')
  })
})

describe('leaks from the error page (A8)', () => {
  const failures = [
    { name: 'an unknown state', query: (s: string, i: string) => `code=x&state=${s}x&iss=${i}` },
    {
      name: 'a declined consent',
      query: (s: string, i: string) => `error=access_denied&state=${s}&iss=${i}`,
    },
    {
      name: 'a wrong iss',
      query: (s: string) => `code=x&state=${s}&iss=${encodeURIComponent(EVIL)}`,
    },
  ]

  it.each(failures)(
    'when the callback fails with $name, then the page loads nothing from and links to nothing on another origin',
    async ({ query }) => {
      const browser = new Browser()
      const pending = await pendingCallback(browser)
      const hop = await followSignInFailure(
        await browser.request(callback(query(pending.state, encodeURIComponent(pending.iss)))),
      )

      expect(hop.status).toBeGreaterThanOrEqual(400)
      expect(hop.body).toContain('<h1>')
      expect(hop.body).not.toMatch(/<script\b/i)
      expect(hop.body).not.toMatch(/<(img|link|script|iframe)\b[^>]*\b(src|href)="(https?:)?\/\//i)
      const urls = [...hop.body.matchAll(/\b(?:src|href|action)="([^"]*)"/gi)].map((m) => m[1])
      expect(urls.length).toBeGreaterThan(0)
      for (const url of urls) expect(url).toMatch(/^\/(?![/\\])/)
    },
  )

  it.each(failures)(
    'when the callback fails with $name, then the page sends no referrer, is not cached and does not echo the code or state',
    async ({ query }) => {
      const browser = new Browser()
      const pending = await pendingCallback(browser)
      const hop = await followSignInFailure(
        await browser.request(callback(query(pending.state, encodeURIComponent(pending.iss)))),
      )

      expect(hop.headers.get('referrer-policy')).toBe('no-referrer')
      expect(hop.headers.get('cache-control')).toBe('no-store')
      expect(hop.body).not.toContain(pending.state)
      expect(hop.body).not.toContain(pending.code)
    },
  )
})

describe('implicit-flow answers (A14)', () => {
  it('when the callback carries an id_token next to the code, then 400 and no token request', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length

    const hop = await browser.request(
      callback(`code=x&id_token=y&state=${pending.state}&iss=${encodeURIComponent(pending.iss)}`),
    )

    await expectErrorPage(hop, PAGE.notVerified)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })

  it('when the callback carries an access token and no code, then 400 and no token request', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length

    const hop = await browser.request(
      callback(
        `access_token=abc&token_type=bearer&state=${pending.state}&iss=${encodeURIComponent(pending.iss)}`,
      ),
    )

    await expectErrorPage(hop, PAGE.notVerified)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })
})

describe('error answers from the provider (A16)', () => {
  it('when the provider answers access_denied with a valid state and iss, then a 403 declined page with a way back, and the state is used up', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length
    const url = callback(
      `error=access_denied&state=${pending.state}&iss=${encodeURIComponent(pending.iss)}`,
    )

    let hop = await browser.request(url)

    hop = await expectErrorPage(hop, PAGE.declined)
    expect(hop.body).toContain(
      '<a class="button" href="/login?provider=demo&amp;returnTo=%2Fresource">Try signing in again</a>',
    )
    // Used up: the browser no longer holds it, and the one-time marker is set.
    expect(await heldLogin(browser, pending.state)).toBeUndefined()
    expect(await services().consumedStates.wasConsumed(pending.state)).toBe(true)
    await expectErrorPage(await browser.request(url), PAGE.stateUnknown)
    await expectErrorPage(await browser.request(pending.url), PAGE.stateUnknown)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })

  it('when the provider answers server_error, then a 400 "did not complete" page naming the error', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length

    let hop = await browser.request(
      callback(`error=server_error&state=${pending.state}&iss=${encodeURIComponent(pending.iss)}`),
    )

    hop = await expectErrorPage(hop, {
      status: 400,
      code: 'LOGIN_FAILED',
      title: 'Sign-in did not complete',
      message: 'The provider could not complete the sign-in (error: server_error).',
    })
    expect(hop.body).toContain('href="/login?provider=demo&amp;returnTo=%2Fresource"')
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })

  it('when the provider error carries markup in error_description or error, then it is never rendered raw', async () => {
    const script = '<script>alert(1)</script>'
    const browser = new Browser()
    const first = await pendingCallback(browser)
    const described = await followSignInFailure(
      await browser.request(
        callback(
          `error=invalid_scope&error_description=${encodeURIComponent(script)}&state=${first.state}&iss=${encodeURIComponent(first.iss)}`,
        ),
      ),
    )
    expect(described.status).toBe(400)
    expect(described.body).toContain('Sign-in did not complete')
    expect(described.body).not.toContain(script)
    expect(described.body).not.toContain('alert(1)')

    const second = await pendingCallback(browser, { start: '/login' })
    const coded = await followSignInFailure(
      await browser.request(
        callback(
          `error=${encodeURIComponent(script)}&state=${second.state}&iss=${encodeURIComponent(second.iss)}`,
        ),
      ),
    )
    expect(coded.status).toBe(400)
    expect(coded.body).toContain('Sign-in did not complete')
    expect(coded.body).not.toContain(script)
    expect(coded.body).not.toContain('alert(1)')
  })

  it('when the person presses Deny on the consent page, then a 403 declined page with "Try signing in again" and no token request', async () => {
    const browser = new Browser()
    const before = tokenRequests(stack).length
    const denied = await pendingCallback(browser, { consent: 'deny' })
    expect(new URL(denied.url).searchParams.get('error')).toBe('access_denied')

    let hop = await browser.request(denied.url)

    hop = await expectErrorPage(hop, PAGE.declined)
    expect(hop.body).toContain(
      '<a class="button" href="/login?provider=demo&amp;returnTo=%2Fresource">Try signing in again</a>',
    )
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
    // The way back works: it starts a new sign-in at the provider.
    const again = await browser.request(`${stack.appUrl}/login?provider=demo`)
    expect(again.status).toBe(303)
    expect(again.location).toMatch(new RegExp(`^${stack.demo.issuer}/authorize\\?`))
  })
})

describe('unknown providers and JSON clients', () => {
  it('when the callback path names an unknown provider, then 404 and no token request', async () => {
    const browser = new Browser()
    const pending = await pendingCallback(browser)
    const before = tokenRequests(stack).length

    const hop = await browser.request(
      callback(
        `code=${pending.code}&state=${pending.state}&iss=${encodeURIComponent(pending.iss)}`,
        'nope',
      ),
    )

    await expectErrorPage(hop, PAGE.unknownProvider)
    expect(tokenRequests(stack)).toHaveLength(before)
    await expectSignedOut(browser)
  })

  it('when /login names an unknown provider, then 404 and nothing is sent to any provider', async () => {
    const browser = new Browser()
    let hop = await browser.request(`${stack.appUrl}/login?provider=nope`)
    hop = await expectErrorPage(hop, PAGE.unknownProvider)
    expect(hop.location).toBeUndefined()
  })

  const jsonCases = [
    {
      name: 'an unknown state',
      page: PAGE.stateUnknown,
      url: (s: string, i: string) => callback(`code=x&state=${s}x&iss=${i}`),
    },
    {
      name: 'a declined consent',
      page: PAGE.declined,
      url: (s: string, i: string) => callback(`error=access_denied&state=${s}&iss=${i}`),
    },
    {
      name: 'a wrong iss',
      page: PAGE.notVerified,
      url: (s: string) => callback(`code=x&state=${s}&iss=${encodeURIComponent(EVIL)}`),
    },
    {
      name: 'an unknown provider',
      page: PAGE.unknownProvider,
      url: (s: string, i: string) => callback(`code=x&state=${s}&iss=${i}`, 'nope'),
    },
  ]

  it.each(jsonCases)(
    'when a JSON client gets $name, then a JSON error body with the same status',
    async ({ page, url }) => {
      const browser = new Browser()
      const pending = await pendingCallback(browser)
      const before = tokenRequests(stack).length

      const hop = await followSignInFailure(
        await browser.request(url(pending.state, encodeURIComponent(pending.iss)), {
          headers: { accept: 'application/json' },
        }),
        'application/json',
      )

      expect(hop.status).toBe(page.status)
      expect(hop.headers.get('content-type')).toMatch(/^application\/json/)
      expect(JSON.parse(hop.body)).toEqual({
        error: { code: page.code, title: page.title, message: page.message },
      })
      expect(tokenRequests(stack)).toHaveLength(before)
    },
  )

  it('when a JSON client asks /login for an unknown provider, then a JSON 404', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/login?provider=nope`, {
      headers: { accept: 'application/json' },
    })
    expect(hop.status).toBe(404)
    expect(JSON.parse(hop.body)).toEqual({
      error: {
        code: PAGE.unknownProvider.code,
        title: PAGE.unknownProvider.title,
        message: PAGE.unknownProvider.message,
      },
    })
  })
})
