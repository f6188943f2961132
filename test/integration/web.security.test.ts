// The app's own pages as an attacker sees them: the session cookie, the security headers,
// CSRF on the state-changing forms, sign-out and disconnect (RFC 7009 revocation at the
// provider), the sign-in guard, static files and malformed requests.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../demo/stack.ts'
import type { GrantRef } from '../../src/tokens/token-store.ts'
import { Browser, formValue, type Hop } from './support/browser.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { storedConnection } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 wants it before Basic encoding. */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)
const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))

interface SignedIn {
  browser: Browser
  page: Hop
  csrf: string
  sessionKey: string
  grant: GrantRef
  grantId: string
  tokenKey: string
}

/** Reads the session id out of the signed cookie `s:<id>.<signature>`. */
async function sessionKeyOf(browser: Browser): Promise<string> {
  const cookie = await browser.cookie(stack.appUrl, 'ci.sid')
  const id = decodeURIComponent(String(cookie)).slice(2).split('.')[0]
  return `${stack.prefix}sess:${id}`
}

async function signedIn(username = 'alice'): Promise<SignedIn> {
  const browser = new Browser()
  const page = await signIn(browser, stack.appUrl, { username, password: `${username}-demo` })
  expect(page.status).toBe(200)
  const sessionKey = await sessionKeyOf(browser)
  const { grantId = '', provider, subject } = await storedConnection(stack, browser)
  return {
    browser,
    page,
    csrf: String(formValue(page.body, '_csrf')),
    sessionKey,
    grant: { grantId, provider, subject },
    grantId,
    tokenKey: `${stack.prefix}tok:${grantId}`,
  }
}

async function refreshTokenOf(person: SignedIn): Promise<string> {
  const record = await stack.apps[0]?.services.tokens.load(person.grant)
  expect(record?.refreshToken).toBeTypeOf('string')
  return String(record?.refreshToken)
}

/** Presents a refresh token to the provider ourselves, authenticated like the app is. */
async function redeemAtProvider(refreshToken: string): Promise<{ status: number; error?: string }> {
  const basic = Buffer.from(
    `${formEncode(DEMO_CLIENT_ID)}:${formEncode(DEMO_CLIENT_SECRET)}`,
  ).toString('base64')
  const response = await fetch(`${stack.demo.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      resource: stack.demo.contactsAudience,
    }),
  })
  const body = (await response.json()) as { error?: string }
  return { status: response.status, error: body.error }
}

/** Still signed in, still connected: the start page greets them and offers Disconnect. */
async function expectStillConnected(person: SignedIn) {
  expect(await stack.redis.exists(person.sessionKey)).toBe(1)
  expect(await stack.redis.exists(person.tokenKey)).toBe(1)
  const home = await person.browser.request(`${stack.appUrl}/`)
  expect(home.status).toBe(200)
  expect(home.body).toContain('Sign out')
  expect(home.body).toContain('Disconnect Demo Provider')
}

function expectErrorPage(hop: Hop, status: number) {
  expect(hop.status, hop.body.slice(0, 300)).toBe(status)
  expect(hop.headers.get('content-type')).toMatch(/^text\/html/)
  expect(hop.body).not.toMatch(/\n\s*at \S/)
  expect(hop.body).not.toMatch(/\.(ts|js|mjs):\d+/)
  expect(hop.body).not.toContain(process.cwd())
  expect(hop.body).not.toContain('node_modules')
}

/** A POST with a body the Browser helper would not send (raw, any content type). */
async function rawPost(
  browser: Browser,
  path: string,
  contentType: string,
  body: string,
): Promise<Hop> {
  const url = `${stack.appUrl}${path}`
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      accept: 'text/html',
      'content-type': contentType,
      cookie: await browser.jar.getCookieString(url),
    },
    body,
  })
  return {
    url,
    status: response.status,
    location: response.headers.get('location') ?? undefined,
    headers: response.headers,
    body: await response.text(),
  }
}

describe('the session cookie', () => {
  it('when a person signs in, then every ci.sid cookie is HttpOnly, SameSite=Lax, Path=/, host-only and not Secure on http localhost', async () => {
    const person = await signedIn()
    const cookies = person.browser.history
      .filter((hop) => hop.url.startsWith(stack.appUrl))
      .flatMap((hop) => hop.headers.getSetCookie())
      .filter((cookie) => cookie.startsWith('ci.sid='))
    // One, when sign-in completes: there is no session before.
    expect(cookies.length).toBeGreaterThanOrEqual(1)
    for (const cookie of cookies) {
      const attributes = cookie
        .split(';')
        .slice(1)
        .map((a) => a.trim().toLowerCase())
      expect(attributes).toContain('httponly')
      expect(attributes).toContain('samesite=lax')
      expect(attributes).toContain('path=/')
      expect(attributes).not.toContain('secure')
      expect(attributes.filter((a) => a.startsWith('domain='))).toEqual([])
    }
  })

  it('when a sign-in starts, then its pending sign-in cookie is HttpOnly, SameSite=Lax, host-only, lives 10 minutes, holds no readable secret, and the callback clears it', async () => {
    const browser = new Browser()
    const callback = await authorizeAtProvider(browser, stack.appUrl, {
      start: '/login?provider=demo',
    })
    const start = browser.history[0] as Hop
    const [setCookie, ...others] = start.headers.getSetCookie()
    expect(others).toEqual([])
    const [pair = '', ...rest] = String(setCookie).split(';')
    const attributes = rest.map((a) => a.trim().toLowerCase())
    expect(pair).toMatch(/^ci\.login\.[\w-]{16}=v1\.[\w.-]+$/)
    expect(attributes).toContain('httponly')
    expect(attributes).toContain('samesite=lax')
    expect(attributes).toContain('path=/')
    expect(attributes).toContain('max-age=600')
    expect(attributes).not.toContain('secure')
    expect(attributes.filter((a) => a.startsWith('domain='))).toEqual([])
    // Sealed: neither the state nor the PKCE verifier can be read out of it.
    const authorize = new URL(String(start.location))
    expect(pair).not.toContain(String(authorize.searchParams.get('state')))
    expect(pair).not.toContain(String(authorize.searchParams.get('nonce')))

    expect((await browser.request(callback)).status).toBe(303)
    const held = (await browser.jar.getCookies(stack.appUrl)).map((c) => c.key)
    expect(held).toEqual(['ci.sid'])
  })

  it('when a person signs in, then the cookie value is a short signed opaque id that holds no token', async () => {
    const person = await signedIn()
    const value = String(await person.browser.cookie(stack.appUrl, 'ci.sid'))
    expect(value.length).toBeLessThanOrEqual(100)
    const decoded = decodeURIComponent(value)
    expect(decoded).toMatch(/^s:[\w-]+\.[\w+/]+$/)

    const record = await stack.apps[0]?.services.tokens.load(person.grant)
    const tokens = [record?.accessToken, record?.refreshToken, record?.idToken]
    expect(tokens.every((t) => typeof t === 'string' && t.length > 24)).toBe(true)
    const jar = JSON.stringify(await person.browser.jar.getCookies(stack.appUrl))
    for (const token of tokens) {
      expect(decoded).not.toContain(String(token).slice(-24))
      expect(jar).not.toContain(String(token).slice(-24))
    }
  })
})

describe('security headers', () => {
  let person: SignedIn
  beforeAll(async () => {
    person = await signedIn()
  })

  function expectSecurityHeaders(hop: Hop) {
    const csp = new Map(
      String(hop.headers.get('content-security-policy'))
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name, ...values]) => [String(name), values]),
    )
    expect(csp.get('frame-ancestors')).toEqual(["'none'"])
    expect(csp.get('form-action')).toEqual(["'self'", new URL(stack.demo.issuer).origin])
    expect(hop.headers.get('x-frame-options')).toBe('DENY')
    expect(hop.headers.get('x-content-type-options')).toBe('nosniff')
    expect(hop.headers.get('referrer-policy')).toBe('no-referrer')
    expect(hop.headers.get('strict-transport-security')).toBeNull()
  }

  it('when the start page is served, then it carries the CSP, framing, sniffing and referrer headers, and no HSTS on http', async () => {
    const hop = await person.browser.request(`${stack.appUrl}/`)
    expect(hop.status).toBe(200)
    expectSecurityHeaders(hop)
  })

  it('when the address book, a download and the JSON list are served, then they carry the same headers', async () => {
    for (const path of ['/resource', '/contacts', '/contacts/export.vcf', '/contacts/delete']) {
      const hop = await person.browser.request(`${stack.appUrl}${path}`)
      expect(hop.status, path).toBe(200)
      expectSecurityHeaders(hop)
    }
    const json = await person.browser.request(`${stack.appUrl}/contacts`, {
      headers: { accept: 'application/json' },
    })
    expect(json.status).toBe(200)
    expectSecurityHeaders(json)
    expect(json.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('when an error page is served (404, 403), then it carries the same headers', async () => {
    const notFound = await person.browser.request(`${stack.appUrl}/no-such-page`)
    expectErrorPage(notFound, 404)
    expectSecurityHeaders(notFound)
    const forbidden = await person.browser.request(`${stack.appUrl}/logout`, { form: {} })
    expectErrorPage(forbidden, 403)
    expectSecurityHeaders(forbidden)
  })
})

describe('CSRF on sign-out and disconnect', () => {
  let person: SignedIn
  let attacker: SignedIn
  beforeAll(async () => {
    person = await signedIn('alice')
    attacker = await signedIn('bob')
  })

  const forged: Array<[string, () => Record<string, string> | undefined]> = [
    ['no body at all', () => undefined],
    ['no _csrf field', () => ({ confirm: 'yes' })],
    ['an empty _csrf', () => ({ _csrf: '' })],
    ['a wrong _csrf of the right length', () => ({ _csrf: randomBytes(32).toString('base64url') })],
    ['the attacker’s own valid _csrf', () => ({ _csrf: attacker.csrf })],
  ]

  for (const path of ['/logout', '/disconnect']) {
    it.each(forged)(
      `when POST ${path} comes with %s, then it is a 403 "Form expired" page and the person stays signed in and connected`,
      async (_name, form) => {
        const before = stack.demo.authorizationServer.requests.mark()
        const body = form()
        const hop = await person.browser.request(
          `${stack.appUrl}${path}`,
          body ? { form: body } : { method: 'POST' },
        )
        expectErrorPage(hop, 403)
        expect(hop.body).toContain('Form expired')
        expect(hop.body).toContain('CSRF_INVALID')
        expect(
          stack.demo.authorizationServer.requests
            .since(before)
            .filter((r) => r.endpoint === 'revocation'),
        ).toHaveLength(0)
        await expectStillConnected(person)
      },
    )

    it(`when GET ${path} is requested (a link or an <img>), then it is 405 with Allow: POST and the person stays signed in`, async () => {
      const hop = await person.browser.request(`${stack.appUrl}${path}`)
      expectErrorPage(hop, 405)
      expect(hop.headers.get('allow')).toBe('POST')
      await expectStillConnected(person)
    })
  }

  it('when a wrong token is tried, then the person’s own token still works afterwards (it was not rotated away or consumed)', async () => {
    const home = await person.browser.request(`${stack.appUrl}/`)
    expect(formValue(home.body, '_csrf')).toBe(person.csrf)
  })
})

describe('disconnect and sign-out revoke the grant at the provider', () => {
  const revocationsSince = (before: number) =>
    stack.demo.authorizationServer.requests.since(before).filter((r) => r.endpoint === 'revocation')

  it('when nothing was revoked, then a refresh token the app holds is accepted by the provider (control for the checks below)', async () => {
    const control = await signedIn()
    const result = await redeemAtProvider(await refreshTokenOf(control))
    expect(result).toEqual({ status: 200, error: undefined })
  })

  it('when a signed-in person disconnects with a valid form, then the refresh token is revoked at the provider and deleted here, and they stay signed in', async () => {
    const person = await signedIn()
    const refreshToken = await refreshTokenOf(person)
    const before = stack.demo.authorizationServer.requests.mark()

    const hop = await person.browser.request(`${stack.appUrl}/disconnect`, {
      form: { _csrf: person.csrf },
    })

    expect(hop.status).toBe(303)
    expect(hop.location).toBe(`${stack.appUrl}/?disconnected=revoked`)
    const revocations = revocationsSince(before)
    const refreshRevocation = revocations.find((r) => r.params.token_type_hint === 'refresh_token')
    expect(refreshRevocation?.status).toBe(200)
    const [scheme, credentials] = String(refreshRevocation?.authorization).split(' ')
    expect(scheme).toBe('Basic')
    const userPass = Buffer.from(String(credentials), 'base64').toString('utf8').split(':')
    expect(userPass.map(formDecode)).toEqual([DEMO_CLIENT_ID, DEMO_CLIENT_SECRET])
    expect(refreshRevocation?.params.client_secret).toBeUndefined()

    expect(await stack.redis.exists(person.tokenKey)).toBe(0)
    expect(await stack.redis.exists(person.sessionKey)).toBe(1)
    expect((await storedConnection(stack, person.browser)).status).toBe('disconnected')
    const notice = await person.browser.request(String(hop.location))
    expect(notice.status).toBe(200)
    expect(notice.body).toContain('access was revoked at your provider')
    expect(notice.body).toContain('Not connected')
    expect(notice.body).toContain('Connect Demo Provider')
    expect(notice.body).toContain('Sign out')

    expect(await redeemAtProvider(refreshToken)).toEqual({ status: 400, error: 'invalid_grant' })
  })

  it('when a signed-in person signs out with a valid form, then both tokens are revoked at the provider and the session and token record are gone', async () => {
    const person = await signedIn()
    const refreshToken = await refreshTokenOf(person)
    const before = stack.demo.authorizationServer.requests.mark()

    const hop = await person.browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: person.csrf },
    })

    expect(hop.status).toBe(303)
    // On to the provider, to offer ending the session there too (RP-Initiated Logout).
    expect(hop.location).toMatch(new RegExp(`^${stack.demo.issuer}/session/end\\?`))
    const hints = revocationsSince(before).map((r) => r.params.token_type_hint)
    expect(hints).toEqual(['refresh_token', 'access_token'])
    for (const revocation of revocationsSince(before)) {
      expect(String(revocation.authorization)).toMatch(/^Basic /)
    }
    expect(await stack.redis.exists(person.sessionKey)).toBe(0)
    expect(await stack.redis.exists(person.tokenKey)).toBe(0)
    expect(await redeemAtProvider(refreshToken)).toEqual({ status: 400, error: 'invalid_grant' })
    const after = await person.browser.request(`${stack.appUrl}/resource`)
    expect(after.status).toBe(303)
    expect(after.location).toBe(`${stack.appUrl}/login?returnTo=%2Fresource`)
  })
})

describe('the sign-in guard', () => {
  it('when an anonymous browser asks for /resource, then it is sent to sign in and brought back afterwards', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/resource`, {
      headers: { accept: 'text/html' },
    })
    expect(hop.status).toBe(303)
    expect(hop.location).toBe(`${stack.appUrl}/login?returnTo=%2Fresource`)
  })

  it('when an anonymous API client asks for /resource, then it gets a JSON 401, not a redirect', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/resource`, {
      headers: { accept: 'application/json' },
    })
    expect(hop.status).toBe(401)
    expect(hop.location).toBeUndefined()
    expect(hop.headers.get('content-type')).toMatch(/^application\/json/)
    expect(JSON.parse(hop.body)).toEqual({
      error: { code: 'LOGIN_REQUIRED', title: 'Sign-in required', message: expect.any(String) },
    })
  })
})

describe('static files and unknown paths', () => {
  it('when the stylesheet is requested, then it is served as text/css', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/static/app.css`)
    expect(hop.status).toBe(200)
    expect(hop.headers.get('content-type')).toMatch(/^text\/css/)
  })

  it('when the static directory itself is requested, then there is no listing', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/static/`)
    expectErrorPage(hop, 404)
    expect(hop.body).not.toContain('provider.css')
  })

  it('when a static path climbs out of the directory, then nothing outside it is served', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/static/..%2fpackage.json`)
    expect(hop.status).toBeGreaterThanOrEqual(400)
    expect(hop.status).toBeLessThan(500)
    expect(hop.body).not.toContain('devDependencies')
  })

  it('when an unknown path is requested, then it is a 404 page with a way back', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/no/such/page`)
    expectErrorPage(hop, 404)
    expect(hop.body).toContain('Page not found')
    expect(hop.body).toContain('href="/"')
  })
})

describe('malformed form posts', () => {
  let person: SignedIn
  beforeAll(async () => {
    person = await signedIn()
  })

  const bodies: Array<[string, string, string]> = [
    ['a 20 kB body', 'application/x-www-form-urlencoded', `_csrf=${'a'.repeat(20 * 1024)}`],
    [
      'more parameters than allowed',
      'application/x-www-form-urlencoded',
      Array.from({ length: 50 }, (_, i) => `p${i}=x`).join('&'),
    ],
    ['broken percent-encoding', 'application/x-www-form-urlencoded', '_csrf=%E0%A4%A&x=%'],
    ['an unsupported charset', 'application/x-www-form-urlencoded; charset=ibm-1047', '_csrf=x'],
    ['a JSON body', 'application/json', '{"_csrf":"x"}'],
  ]

  it.each(bodies)(
    'when POST /logout carries %s, then it is a 4xx page, not a 500, and the person stays signed in',
    async (_name, contentType, body) => {
      const hop = await rawPost(person.browser, '/logout', contentType, body)
      expect(hop.status).toBeGreaterThanOrEqual(400)
      expect(hop.status).toBeLessThan(500)
      expectErrorPage(hop, hop.status)
      await expectStillConnected(person)
    },
  )

  it('when POST /logout carries a 20 kB body, then it is refused as too large (413)', async () => {
    const hop = await rawPost(
      person.browser,
      '/logout',
      'application/x-www-form-urlencoded',
      `_csrf=${'a'.repeat(20 * 1024)}`,
    )
    expectErrorPage(hop, 413)
  })

  it('when these requests were refused, then none was logged as an unhandled error', () => {
    const unhandled = stack.logs.filter((line) => line.includes('"unhandled error"'))
    expect(unhandled).toEqual([])
  })
})
