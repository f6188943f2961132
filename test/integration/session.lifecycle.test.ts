// Sessions at their edges: a request still running when the person signs out, a corrupt
// session record, and a second person signing in on the same browser.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Browser, formValue } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { storedSession } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())
afterEach(() => {
  stack.demo.contactsServer.faults.clear()
  stack.demo.authorizationServer.intercept = undefined
})

describe('signing out while another request is still running', () => {
  it('when a slow page finishes after sign-out, then it does not bring the session back', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl)
    const { key } = await storedSession(stack, browser)
    // The contacts API is slow and then refuses the token: the slow request will change
    // its session (it forgets the grant) after the sign-out below.
    stack.demo.contactsServer.faults.add({ status: 401, delayMs: 800, times: 1 })
    const slow = browser.request(`${stack.appUrl}/resource`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const out = await browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: String(formValue(page.body, '_csrf')) },
    })
    expect(out.status).toBe(303)
    await slow
    expect(await stack.redis.exists(key)).toBe(0)
    const after = await browser.request(`${stack.appUrl}/resource`)
    expect(after.status).toBe(303)
    expect(after.location).toContain('/login')
  })
})

describe('a damaged session record', () => {
  it('when the stored session is not valid JSON, then the browser is simply signed out (no 503)', async () => {
    const browser = new Browser()
    await signIn(browser, stack.appUrl)
    const { key } = await storedSession(stack, browser)
    await stack.redis.set(key, '{not json', 'KEEPTTL')
    const home = await browser.request(`${stack.appUrl}/`)
    expect(home.status).toBe(200)
    expect(home.body).toContain('Sign in with Demo Provider')
  })
})

describe('another person on the same browser', () => {
  it('when bob signs in over alice’s session, then alice’s grant is revoked at the provider and her record is gone', async () => {
    const browser = new Browser()
    await signIn(browser, stack.appUrl, { username: 'alice', password: 'alice-demo' })
    const alice = await storedSession(stack, browser)
    const before = stack.demo.authorizationServer.requests.filter(
      (r) => r.endpoint === 'revocation',
    ).length
    // Same browser for the app, but the provider has forgotten alice (her provider session
    // ended), so the provider asks who is there: bob.
    const sameApp = new Browser()
    await sameApp.jar.setCookie(
      `ci.sid=${await browser.cookie(stack.appUrl, 'ci.sid')}`,
      stack.appUrl,
    )
    const page = await signIn(sameApp, stack.appUrl, {
      username: 'bob',
      password: 'bob-demo',
      start: '/login',
    })
    expect(page.body).toContain('Hello, Bob Baker')
    const revocations = stack.demo.authorizationServer.requests
      .filter((r) => r.endpoint === 'revocation')
      .slice(before)
    expect(revocations.map((r) => r.params.token_type_hint)).toContain('refresh_token')
    expect(await stack.redis.exists(`${stack.prefix}tok:${alice.grantId}`)).toBe(0)
    const bob = await storedSession(stack, sameApp)
    expect(bob.key).not.toBe(alice.key)
    expect(bob.user?.subject).toBe('bob')
  })
})

describe('disconnecting when the provider cannot confirm', () => {
  it('when the revocation endpoint fails, then the page says revocation was not confirmed', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl)
    stack.demo.authorizationServer.intercept = async (endpoint, ctx) => {
      if (endpoint !== 'revocation') return undefined
      ctx.status = 503
      ctx.body = { error: 'temporarily_unavailable' }
      return false
    }
    const hop = await browser.request(`${stack.appUrl}/disconnect`, {
      form: { _csrf: String(formValue(page.body, '_csrf')) },
    })
    expect(hop.location).toBe(`${stack.appUrl}/?disconnected=unconfirmed`)
    const home = await browser.request(String(hop.location))
    expect(home.body).toContain('did not confirm')
  })

  it('when the notice parameter is made up, then no text from the URL is shown', async () => {
    const home = await new Browser().request(
      `${stack.appUrl}/?disconnected=%3Cb%3Eyou+were+hacked%3C%2Fb%3E`,
    )
    expect(home.status).toBe(200)
    expect(home.body).not.toContain('hacked')
    expect(home.body).not.toContain('class="notice"')
  })
})
