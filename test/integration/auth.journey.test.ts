// The whole authorization-code journey against the real demo provider, the real contacts
// server and a real Redis: what the person sees, and what went over the wire.
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../demo/stack.ts'
import { displayName } from '../../src/contacts/contact.ts'
import { Browser, formAction, formValue } from './support/browser.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { connectionPages } from './support/read-contacts.ts'
import { storedConnection, storedSession } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())

/** The display names of every contact the browser's connection reads, as an import would. */
async function readNames(browser: Browser): Promise<string[]> {
  const connection = await storedConnection(stack, browser)
  const names: string[] = []
  const app = stack.apps[0]
  if (!app) throw new Error('no app instance')
  for await (const page of connectionPages(app, connection)) {
    names.push(...page.contacts.map((c) => displayName(c)))
  }
  return names
}
const sessionCookie = (browser: Browser) => browser.cookie(stack.appUrl, 'ci.sid')

/** Reverses application/x-www-form-urlencoded (RFC 6749 Appendix B): "+" is a space. */
const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))

describe('signing in and reading contacts', () => {
  it('when alice signs in and allows access, then she lands on her address book, and her 250 contacts can be read with her token, sent as a Bearer header only', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl, { username: 'alice', password: 'alice-demo' })

    expect(page.url).toBe(`${stack.appUrl}/resource`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('<h1>Your contacts</h1>')
    expect(page.body).toContain('Demo Provider')
    const names = await readNames(browser)
    expect(names).toHaveLength(250)
    expect(names).toContain('Zoë Ångström')
    expect(names.some((name) => name.includes('王秀英'))).toBe(true)
    const calls = stack.demo.contactsServer.requests.filter((r) => r.sub === 'alice')
    expect(calls.length).toBeGreaterThan(0)
    for (const call of calls) {
      expect(call.hadAuthorizationHeader).toBe(true)
      expect(call.query.access_token).toBeUndefined()
      expect(call.status).toBe(200)
    }
  })

  it('when bob, who has no contacts, signs in, then he sees an empty address book with his first import queued, and his read is empty', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl, {
      username: 'bob',
      password: 'bob-demo',
    })
    expect(page.status).toBe(200)
    expect(page.body).toContain('0 contacts')
    // His first sign-in queued an import (no worker runs in this stack).
    expect(page.body).toContain('No contacts yet — importing from Demo Provider.')
    expect(await readNames(browser)).toEqual([])
  })

  it('when carol signs in, then all 2987 contacts are read over 3 pages with identical parameters', async () => {
    const before = stack.demo.contactsServer.requests.mark()
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl, {
      username: 'carol',
      password: 'carol-demo',
    })
    expect(page.status).toBe(200)
    expect(await readNames(browser)).toHaveLength(2987)
    const calls = stack.demo.contactsServer.requests.since(before).filter((r) => r.sub === 'carol')
    expect(calls).toHaveLength(3)
    expect(new Set(calls.map((c) => c.query.personFields)).size).toBe(1)
    expect(calls.map((c) => c.query.pageSize)).toEqual(['1000', '1000', '1000'])
    expect(calls[0]?.query.pageToken).toBeUndefined()
    expect(calls[1]?.query.pageToken).toBeTypeOf('string')
  })

  it('when the person signs in, then the authorization request carries code, state, nonce, PKCE S256, the exact redirect URI, scope and resource', async () => {
    const browser = new Browser()
    await authorizeAtProvider(browser, stack.appUrl)
    const authorize = browser.history.find((hop) =>
      hop.url.startsWith(`${stack.demo.issuer}/authorize?`),
    )
    const params = new URL(authorize?.url ?? '').searchParams
    expect(params.get('response_type')).toBe('code')
    expect(params.get('client_id')).toBe(DEMO_CLIENT_ID)
    expect(params.get('redirect_uri')).toBe(`${stack.appUrl}/auth/callback/demo`)
    expect(params.get('scope')).toBe('openid profile email offline_access contacts.read')
    expect(params.get('resource')).toBe(stack.demo.contactsAudience)
    expect(params.get('prompt')).toBe('consent')
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(params.get('state')).toMatch(/^[\w-]{43}$/)
    expect(params.get('nonce')).toMatch(/^[\w-]{43}$/)
    expect(authorize?.url).not.toContain('plain')
  })

  it('when the code is exchanged, then the provider receives HTTP Basic credentials encoded per RFC 6749 §2.3.1 and the PKCE verifier', async () => {
    const browser = new Browser()
    const callback = await authorizeAtProvider(browser, stack.appUrl)
    const before = stack.demo.authorizationServer.requests.mark()
    await browser.follow(callback)

    const exchange = stack.demo.authorizationServer.requests
      .since(before)
      .find((r) => r.endpoint === 'token' && r.params.grant_type === 'authorization_code')
    expect(exchange?.status).toBe(200)
    const [scheme, credentials] = String(exchange?.authorization).split(' ')
    expect(scheme).toBe('Basic')
    const userPass = Buffer.from(String(credentials), 'base64').toString('utf8')
    // Each part was form-encoded before the Basic encoding: the ":", "%", "+", "/", " ",
    // "&", "=" and "?" of the secret appear only as escapes, so the one ":" left is the
    // separator, and decoding gives the registered values back.
    const parts = userPass.split(':')
    expect(parts).toHaveLength(2)
    for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9%+*._-]+$/)
    expect(formDecode(String(parts[0]))).toBe(DEMO_CLIENT_ID)
    expect(formDecode(String(parts[1]))).toBe(DEMO_CLIENT_SECRET)
    expect(userPass).not.toBe(`${DEMO_CLIENT_ID}:${DEMO_CLIENT_SECRET}`)
    expect(exchange?.params.client_secret).toBeUndefined()
    expect(exchange?.params.redirect_uri).toBe(`${stack.appUrl}/auth/callback/demo`)
    expect(exchange?.params.resource).toBe(stack.demo.contactsAudience)

    const authorize = browser.history.find((hop) =>
      hop.url.startsWith(`${stack.demo.issuer}/authorize?`),
    )
    const challenge = new URL(authorize?.url ?? '').searchParams.get('code_challenge')
    const verifier = String(exchange?.params.code_verifier)
    expect(verifier).toMatch(/^[\w-]{43,128}$/)
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge)
  })

  it('when sign-in completes, then the callback answers 303 to a clean URL without caching or a referrer', async () => {
    const browser = new Browser()
    const callback = await authorizeAtProvider(browser, stack.appUrl, {
      start: '/login?returnTo=%2Fresource%3Fview%3Dall',
    })
    const hop = await browser.request(callback)
    expect(hop.status).toBe(303)
    expect(hop.location).toBe(`${stack.appUrl}/resource?view=all`)
    expect(hop.location).not.toMatch(/code=|state=/)
    expect(hop.headers.get('cache-control')).toBe('no-store')
    expect(hop.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('when a sign-in starts, then there is no session to fix: the browser holds no session id until the callback makes a new one', async () => {
    const browser = new Browser()
    const callback = await authorizeAtProvider(browser, stack.appUrl)
    expect(await sessionCookie(browser)).toBeUndefined()
    await browser.follow(callback)
    expect(await sessionCookie(browser)).toBeDefined()
  })

  it('when sign-in completes over an existing session, then the session id changes (no session fixation)', async () => {
    const browser = new Browser()
    await signIn(browser, stack.appUrl)
    const callback = await authorizeAtProvider(browser, stack.appUrl, { start: '/login' })
    const before = await sessionCookie(browser)
    expect(before).toBeDefined()
    await browser.follow(callback)
    const after = await sessionCookie(browser)
    expect(after).toBeDefined()
    expect(after).not.toBe(before)
    // The earlier id is dead: it does not open the signed-in pages.
    const planted = new Browser()
    await planted.jar.setCookie(`ci.sid=${before}`, stack.appUrl)
    const hop = await planted.request(`${stack.appUrl}/resource`)
    expect(hop.status).toBe(303)
    expect(hop.location).toContain('/login')
  })

  it('when two tabs sign in at the same time, then both complete', async () => {
    const browser = new Browser()
    const first = await authorizeAtProvider(browser, stack.appUrl)
    const second = await authorizeAtProvider(browser, stack.appUrl)
    expect((await browser.follow(first)).status).toBe(200)
    expect((await browser.follow(second)).status).toBe(200)
  })
})

describe('where the tokens are, and where they never are', () => {
  it('when alice signs in, then Redis holds her tokens encrypted, and no cookie, page, redirect or log line carries a token', async () => {
    const issued: string[] = []
    stack.tamper = async (request, real) => {
      const response = await real()
      if (request.url === `${stack.demo.issuer}/token`) {
        const body = (await response.clone().json()) as Record<string, string>
        issued.push(
          ...[body.access_token, body.refresh_token, body.id_token].filter((t): t is string =>
            Boolean(t),
          ),
        )
      }
      return response
    }
    const browser = new Browser()
    try {
      await signIn(browser, stack.appUrl)
    } finally {
      stack.tamper = undefined
    }
    expect(issued).toHaveLength(3)

    const tokenKeys = await stack.redis.keys(`${stack.prefix}tok:*`)
    expect(tokenKeys.length).toBeGreaterThan(0)
    const raw = await Promise.all(tokenKeys.map((key) => stack.redis.hgetall(key)))
    const sessions = await stack.redis.keys(`${stack.prefix}sess:*`)
    const sessionValues = await Promise.all(sessions.map((key) => stack.redis.get(key)))
    const stored = JSON.stringify([raw, sessionValues])
    const visible = JSON.stringify(
      browser.history.map((hop) => [hop.url, hop.location, [...hop.headers.entries()], hop.body]),
    )
    const cookies = JSON.stringify(await browser.jar.getCookies(stack.appUrl))
    for (const token of issued) {
      // Also the token's signature alone: a JWT can be re-assembled from its parts.
      const fragment = token.slice(-24)
      expect(stored).not.toContain(fragment)
      expect(visible).not.toContain(fragment)
      expect(cookies).not.toContain(fragment)
      expect(stack.logs.join('\n')).not.toContain(fragment)
    }

    // …and the app can read them back: it is a real store, not a sink.
    const grants = await Promise.all(
      tokenKeys.map((key) =>
        stack.apps[0]?.services.tokens.load({
          grantId: key.slice(`${stack.prefix}tok:`.length),
          provider: 'demo',
          subject: 'alice',
        }),
      ),
    )
    expect(grants.map((g) => g?.accessToken)).toContain(issued[0])
  })

  it('when the person signs out, then the session, the token record and the cookie are gone, and the provider offers to end its session too', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl)
    const { key: sessionKey } = await storedSession(stack, browser)
    const { grantId } = await storedConnection(stack, browser)
    const tokenKey = `${stack.prefix}tok:${grantId}`
    expect(await stack.redis.exists(tokenKey)).toBe(1)

    const hop = await browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: String(formValue(page.body, '_csrf')) },
    })
    expect(hop.status).toBe(303)
    expect(hop.headers.getSetCookie().join()).toMatch(/ci\.sid=;.*Expires=Thu, 01 Jan 1970/)
    expect(await stack.redis.exists(sessionKey)).toBe(0)
    expect(await stack.redis.exists(tokenKey)).toBe(0)

    // RP-Initiated Logout: identified by client_id, never by an ID token in the URL.
    const endSession = new URL(String(hop.location))
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${stack.demo.issuer}/session/end`)
    expect(endSession.searchParams.get('client_id')).toBe(DEMO_CLIENT_ID)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.appUrl}/`)
    expect(endSession.searchParams.has('id_token_hint')).toBe(false)

    const confirm = await browser.request(endSession.href)
    expect(confirm.status).toBe(200)
    expect(confirm.body).toContain('Sign out of the Demo Provider too?')
    const xsrf = String(formValue(confirm.body, 'xsrf'))
    const back = await browser.follow(
      formAction(confirm.body, '/session/end/confirm', confirm.url),
      {
        form: { xsrf, logout: 'yes' },
      },
    )
    expect(back.url).toBe(`${stack.appUrl}/`)
    expect(back.body).toContain('Sign in with Demo Provider')

    // Signed out here and there: /resource leads to the provider's login form again.
    const again = await browser.follow(`${stack.appUrl}/resource`)
    expect(again.url.startsWith(`${stack.demo.issuer}/interaction/`)).toBe(true)
    expect(again.body).toContain('name="password"')
  })
})

describe('the redirect URI sent with the code', () => {
  it('when the callback arrives with a forged Host and X-Forwarded-* headers, then the token request still carries the registered redirect URI and sign-in completes', async () => {
    const browser = new Browser()
    const callback = new URL(await authorizeAtProvider(browser, stack.appUrl))
    const before = stack.demo.authorizationServer.requests.mark()
    const cookie = await browser.jar.getCookieString(callback.href)
    const app = new URL(String(stack.apps[0]?.url))
    // fetch() will not send a foreign Host header; a raw request does.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(
        {
          host: '127.0.0.1',
          port: app.port,
          path: `${callback.pathname}${callback.search}`,
          headers: {
            host: 'evil.example',
            'x-forwarded-host': 'evil.example',
            'x-forwarded-proto': 'http',
            cookie,
          },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode)
        },
      )
        .on('error', reject)
        .end()
    })
    expect(status).toBe(303)
    const exchange = stack.demo.authorizationServer.requests
      .since(before)
      .find((r) => r.params.grant_type === 'authorization_code')
    expect(exchange?.status).toBe(200)
    expect(exchange?.params.redirect_uri).toBe(`${stack.appUrl}/auth/callback/demo`)
  })
})
