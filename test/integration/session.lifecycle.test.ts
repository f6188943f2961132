// Sessions at their edges: a request still running when the person signs out, a corrupt
// session record, and a second person signing in on the same browser.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Browser, formValue } from './support/browser.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { storedConnection, storedSession } from './support/session.ts'
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
  it('when a slow request that writes the session finishes after sign-out, then it does not bring the session back', async () => {
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl)
    const { key } = await storedSession(stack, browser)
    // Another tab of this browser signs in at the provider as bob; its callback writes to
    // this session (it asks "add or switch"), and the token endpoint makes it slow, so the
    // write comes after the sign-out below.
    const tab = new Browser()
    await tab.jar.setCookie(`ci.sid=${await browser.cookie(stack.appUrl, 'ci.sid')}`, stack.appUrl)
    const callback = await authorizeAtProvider(tab, stack.appUrl, {
      username: 'bob',
      password: 'bob-demo',
      start: '/login',
    })
    stack.demo.authorizationServer.intercept = async (endpoint) => {
      if (endpoint === 'token') await new Promise((resolve) => setTimeout(resolve, 800))
      return undefined
    }
    const slow = tab.request(callback)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const out = await browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: String(formValue(page.body, '_csrf')) },
    })
    expect(out.status).toBe(303)
    expect((await slow).location).toBe(`${stack.appUrl}/connections/choose`)
    expect(await stack.redis.exists(key)).toBe(0)
    for (const each of [browser, tab]) {
      const after = await each.request(`${stack.appUrl}/resource`)
      expect(after.status).toBe(303)
      expect(after.location).toContain('/login')
    }
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

describe('another account on the same browser', () => {
  // Each test starts from nobody: whether bob already has an address book decides the question.
  beforeEach(async () => {
    await stack.database.db.query('DELETE FROM people')
  })

  /** Alice is signed in; the same browser then signs in at the provider as bob. */
  async function bobOverAlice() {
    const browser = new Browser()
    await signIn(browser, stack.appUrl, { username: 'alice', password: 'alice-demo' })
    const alice = await storedSession(stack, browser)
    const aliceConnection = await storedConnection(stack, browser)
    // Same browser for the app, but the provider has forgotten alice (her provider session
    // ended), so the provider asks who is there: bob.
    const sameApp = new Browser()
    await sameApp.jar.setCookie(
      `ci.sid=${await browser.cookie(stack.appUrl, 'ci.sid')}`,
      stack.appUrl,
    )
    const question = await signIn(sameApp, stack.appUrl, {
      username: 'bob',
      password: 'bob-demo',
      start: '/login',
    })
    return { sameApp, alice, aliceConnection, question }
  }

  const revocationsSince = (before: number) =>
    stack.demo.authorizationServer.requests.since(before).filter((r) => r.endpoint === 'revocation')

  it('when bob signs in over alice’s session, then the app asks whether to add bob’s account or switch, and changes nothing yet', async () => {
    const before = stack.demo.authorizationServer.requests.mark()
    const { sameApp, alice, aliceConnection, question } = await bobOverAlice()
    expect(question.url).toBe(`${stack.appUrl}/connections/choose`)
    expect(question.body).toContain('Add to my address book')
    expect(question.body).toContain('Switch to this account')
    expect(revocationsSince(before)).toHaveLength(0)
    const session = await storedSession(stack, sameApp)
    expect(session.personId).toBe(alice.personId)
    expect(session.pendingChoice?.identity.subject).toBe('bob')
    expect((await storedConnection(stack, sameApp)).id).toBe(aliceConnection.id)
  })

  it('when the person chooses to switch, then alice’s grant is revoked and the browser is bob’s, in a new session', async () => {
    const before = stack.demo.authorizationServer.requests.mark()
    const { sameApp, alice, aliceConnection, question } = await bobOverAlice()
    const hop = await sameApp.request(`${stack.appUrl}/connections/choose`, {
      form: { _csrf: String(formValue(question.body, '_csrf')), choice: 'switch' },
    })
    expect(hop.status).toBe(303)
    const page = await sameApp.follow(String(hop.location))
    expect(page.body).toContain('Bob Baker')
    expect(revocationsSince(before).map((r) => r.params.token_type_hint)).toContain('refresh_token')
    expect(await stack.redis.exists(`${stack.prefix}tok:${aliceConnection.grantId}`)).toBe(0)
    const bob = await storedSession(stack, sameApp)
    expect(bob.key).not.toBe(alice.key)
    expect(bob.personId).not.toBe(alice.personId)
    expect((await storedConnection(stack, sameApp)).subject).toBe('bob')
    const people = stack.apps[0]?.services.people
    expect((await people?.connection(String(alice.personId), aliceConnection.id))?.status).toBe(
      'disconnected',
    )
  })

  it('when the person chooses to add, then one person has two connections, both usable, and nothing is revoked', async () => {
    const before = stack.demo.authorizationServer.requests.mark()
    const { sameApp, alice, question } = await bobOverAlice()
    const hop = await sameApp.request(`${stack.appUrl}/connections/choose`, {
      form: { _csrf: String(formValue(question.body, '_csrf')), choice: 'add' },
    })
    expect(hop.status).toBe(303)
    const session = await storedSession(stack, sameApp)
    expect(session.personId).toBe(alice.personId)
    expect(session.key).not.toBe(alice.key) // a new session id for the new sign-in
    const connections =
      (await stack.apps[0]?.services.people.connections(String(alice.personId))) ?? []
    expect(connections.map((c) => [c.subject, c.status])).toEqual([
      ['alice', 'active'],
      ['bob', 'active'],
    ])
    for (const connection of connections) {
      const page = await sameApp.request(`${stack.appUrl}/resource?connection=${connection.id}`)
      expect(page.status).toBe(200)
    }
    // Still alice's address book, with bob's account as a second source.
    const home = await sameApp.request(`${stack.appUrl}/`)
    expect(home.body).toContain('Hello, Alice Archer')
    expect(home.body).toContain('bob@demo.example')
    expect(revocationsSince(before)).toHaveLength(0)
  })

  it('when the person cancels, then bob’s new grant is revoked (nobody here will use it) and alice stays signed in', async () => {
    const before = stack.demo.authorizationServer.requests.mark()
    const { sameApp, alice, question } = await bobOverAlice()
    const grantId = String((await storedSession(stack, sameApp)).pendingChoice?.grantId)
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(1)
    const hop = await sameApp.request(`${stack.appUrl}/connections/choose`, {
      form: { _csrf: String(formValue(question.body, '_csrf')), choice: 'cancel' },
    })
    expect(hop.location).toBe(`${stack.appUrl}/`)
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
    expect(revocationsSince(before).map((r) => r.params.token_type_hint)).toContain('refresh_token')
    expect((await storedSession(stack, sameApp)).personId).toBe(alice.personId)
    const again = await sameApp.request(`${stack.appUrl}/connections/choose`)
    expect(again.status).toBe(410)
  })

  it('when the waiting sign-in is older than its lifetime, then its tokens are not kept longer either', async () => {
    const { sameApp } = await bobOverAlice()
    const grantId = String((await storedSession(stack, sameApp)).pendingChoice?.grantId)
    const ttl = await stack.redis.pttl(`${stack.prefix}tok:${grantId}`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(600_000)
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
