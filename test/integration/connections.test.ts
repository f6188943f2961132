// Several connections per person: a signed-in person connects another source (a second
// provider, `other`, on demo servers of its own) without signing out, reconnects one whose
// grant ended, and removes one with everything it brought. Also the login-CSRF variants of
// a connect flow (finished in another browser, after the browser signed in as somebody
// else, after the session ended), an account that is another person's, and a second
// person who can neither see nor touch the first one's connections.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DemoServers } from '../../demo/stack.ts'
import type { Connection } from '../../src/people/people-store.ts'
import { Browser, formValue, type Hop } from './support/browser.ts'
import { eventually, waitForRun } from './support/imports.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { storedSession } from './support/session.ts'
import { followSignInFailure } from './support/sign-in-failure.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack({ other: true, workers: [0] })
})
afterAll(() => stack?.close())
// The demo has three accounts: each test starts from nobody having signed in. A run still
// under way from the test before finds itself deleted and stops; its rows are locked first,
// as "delete my data" does, so its page being written cannot deadlock with the deletion.
beforeEach(async () => {
  const tx = await stack.database.db.pool.connect()
  try {
    await tx.query('BEGIN')
    await tx.query('SELECT id FROM imports FOR UPDATE')
    await tx.query('DELETE FROM people')
    await tx.query('COMMIT')
  } finally {
    tx.release()
  }
})

const PASSWORDS: Record<string, string> = {
  alice: 'alice-demo',
  bob: 'bob-demo',
  carol: 'carol-demo',
}

const services = () => {
  const app = stack.apps[0]
  if (!app) throw new Error('no app instance')
  return app.services
}
const other = (): DemoServers => {
  if (!stack.other) throw new Error('the stack has no second provider')
  return stack.other
}

/** Token requests the app sent to either provider. */
const tokenRequestCount = () =>
  stack.providerTraffic.filter(
    (r) => r.url === `${stack.demo.issuer}/token` || r.url === `${other().issuer}/token`,
  ).length

interface Person {
  browser: Browser
  personId: string
}

/** Signs `username` in at `provider` (a new person on their first sign-in there). */
async function signedIn(username: string, provider = 'demo'): Promise<Person> {
  const browser = new Browser()
  const page = await signIn(browser, stack.appUrl, {
    username,
    password: PASSWORDS[username],
    start: `/login?provider=${provider}&returnTo=%2Fcontacts`,
  })
  expect(page.status, page.body.slice(0, 300)).toBe(200)
  const { personId } = await storedSession(stack, browser)
  if (!personId) throw new Error('not signed in')
  return { browser, personId }
}

/** The CSRF token of the browser's session, from a page's form. */
async function csrf(browser: Browser): Promise<string> {
  const token = formValue((await browser.request(`${stack.appUrl}/contacts`)).body, '_csrf')
  if (!token) throw new Error('no CSRF token (not signed in?)')
  return token
}

/**
 * POST /connect as the page's button does, then the provider's login and consent as
 * `username`; returns the callback URL, not yet delivered.
 */
async function connectAtProvider(
  browser: Browser,
  username: string,
  form: { provider?: string; connection?: string } = { provider: 'other' },
): Promise<string> {
  return authorizeAtProvider(browser, stack.appUrl, {
    username,
    password: PASSWORDS[username],
    start: '/connect',
    form: { _csrf: await csrf(browser), ...form },
  })
}

/** The whole connect flow; the callback's answer (303 to the run, or to a failure). */
async function connect(
  browser: Browser,
  username: string,
  form?: { provider?: string; connection?: string },
): Promise<Hop> {
  return browser.request(await connectAtProvider(browser, username, form))
}

const connectionsOf = (personId: string) => services().people.connections(personId)

async function connectionAt(personId: string, provider: string): Promise<Connection> {
  const found = (await connectionsOf(personId)).find((c) => c.provider === provider)
  if (!found) throw new Error(`no ${provider} connection`)
  return found
}

const runIdOf = (hop: Hop) => /\/imports\/([0-9a-f-]{36})$/.exec(String(hop.location))?.[1]

/** Waits for the run the 303 leads to, and returns it. */
async function runOf(person: Person, hop: Hop) {
  const id = runIdOf(hop)
  if (!id) throw new Error(`no run in ${hop.status} ${hop.location}`)
  return waitForRun(stack, person.personId, id)
}

/** The first import of a sign-in (the app starts one by itself), finished. */
async function firstImportDone(person: Person) {
  return eventually(async () => {
    const runs = await services().importsStore.latestByConnection(person.personId)
    const all = [...runs.values()]
    return all.length > 0 && all.every((r) => r.state === 'completed') ? all : undefined
  }, 'the first import')
}

const countsOf = async (personId: string) =>
  Object.fromEntries(await services().contactsStore.countByConnection(personId))

/** alice, signed in at demo, her first import done, and other connected and imported. */
async function aliceWithTwoSources() {
  const alice = await signedIn('alice')
  await firstImportDone(alice)
  const answer = await connect(alice.browser, 'alice')
  expect(answer.status).toBe(303)
  const run = await runOf(alice, answer)
  expect(run.state).toBe('completed')
  return {
    ...alice,
    demo: await connectionAt(alice.personId, 'demo'),
    other: await connectionAt(alice.personId, 'other'),
  }
}

/** The panel of one source on /contacts (its <section>), whitespace collapsed. */
function panelOf(page: string, connectionId: string): string {
  const start = page.indexOf(`aria-labelledby="source-${connectionId}"`)
  if (start < 0) throw new Error(`no panel for ${connectionId}`)
  return page.slice(start, page.indexOf('</section>', start)).replace(/\s+/g, ' ')
}

describe('connecting another source while signed in', () => {
  it('when alice, signed in at demo, connects Other Provider, then a fresh flow goes there with its own state, PKCE and nonce, bound to her browser and to her', async () => {
    const alice = await signedIn('alice')
    const page = await alice.browser.request(`${stack.appUrl}/contacts`)
    expect(page.body).toContain('<button type="submit">Connect Other Provider</button>')
    expect(page.body).toContain('<button type="submit">Connect Demo Provider</button>')
    const start = await alice.browser.request(`${stack.appUrl}/connect`, {
      form: { _csrf: await csrf(alice.browser), provider: 'other' },
    })
    expect(start.status).toBe(303)
    const authorize = new URL(String(start.location))
    expect(authorize.origin + authorize.pathname).toBe(`${other().issuer}/authorize`)
    const params = authorize.searchParams
    expect(params.get('response_type')).toBe('code')
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('redirect_uri')).toBe(`${stack.appUrl}/auth/callback/other`)
    const state = String(params.get('state'))
    expect(state).toMatch(/^[\w-]{43}$/)
    // Its pending record is in this browser only, and names the intent and the person.
    const flows = (await alice.browser.jar.getCookies(stack.appUrl)).filter((c) =>
      c.key.startsWith('ci.login.'),
    )
    const held = flows
      .map((c) => services().pendingLogins.open(c.value, c.key))
      .find((login) => login?.state === state)
    expect(held).toMatchObject({
      provider: 'other',
      connect: { personId: alice.personId },
    })
    expect(held?.nonce).toBe(params.get('nonce'))
    // The sign-in's flow was another one: its state, nonce and verifier are not reused.
    const signInAuthorize = alice.browser.history.find((h) =>
      h.location?.startsWith(`${stack.demo.issuer}/authorize`),
    )
    const first = new URL(String(signInAuthorize?.location)).searchParams
    expect(first.get('state')).not.toBe(state)
    expect(first.get('nonce')).not.toBe(params.get('nonce'))
    expect(first.get('code_challenge')).not.toBe(params.get('code_challenge'))
  })

  it('when she finishes it, then the account is her second connection, with no add-or-switch question, its import starts and she lands on its progress; each source has its own grant, import, Import now and Disconnect', async () => {
    const alice = await signedIn('alice')
    await firstImportDone(alice)
    const answer = await connect(alice.browser, 'alice')

    expect(answer.status).toBe(303)
    expect(String(answer.location)).toMatch(/\/imports\/[0-9a-f-]{36}$/)
    expect(alice.browser.history.some((h) => h.url.includes('/connections/choose'))).toBe(false)
    const connections = await connectionsOf(alice.personId)
    expect(connections.map((c) => [c.provider, c.status])).toEqual([
      ['demo', 'active'],
      ['other', 'active'],
    ])
    const [demo, otherConnection] = connections as [Connection, Connection]
    const run = await runOf(alice, answer)
    expect(run).toMatchObject({ connectionId: otherConnection.id, state: 'completed' })
    expect(run.counts.created).toBe(250)
    expect(await countsOf(alice.personId)).toEqual({
      [demo.id]: 250,
      [otherConnection.id]: 250,
    })
    // Two grants in the vault, one per connection, each for its own provider.
    expect(demo.grantId).not.toBe(otherConnection.grantId)
    for (const c of connections) {
      const record = await services().tokens.load({
        grantId: String(c.grantId),
        provider: c.provider,
        subject: c.subject,
      })
      expect(record?.provider).toBe(c.provider)
    }
    // Still the same sign-in; signing out ends both (as an added account does).
    const session = await storedSession(stack, alice.browser)
    expect(session.personId).toBe(alice.personId)
    expect(session.connectionIds).toEqual([demo.id, otherConnection.id])

    const page = (await alice.browser.request(`${stack.appUrl}/contacts`)).body
    expect(page).toContain('500 contacts')
    for (const [c, label] of [
      [demo, 'Demo Provider'],
      [otherConnection, 'Other Provider'],
    ] as const) {
      const panel = panelOf(page, c.id)
      expect(panel).toContain('250 contacts from here')
      expect(panel).toContain(
        `<form method="post" action="/import" class="inline"> <input type="hidden" name="_csrf" value="${await csrf(alice.browser)}"> <input type="hidden" name="connection" value="${c.id}"> <button type="submit">Import now</button>`,
      )
      expect(panel).toContain(
        `<button type="submit" class="secondary">Disconnect ${label}</button>`,
      )
      expect(panel).toContain(`<a href="/connections/${c.id}/remove">Remove this source</a>`)
    }

    // Import now of one source imports that one only.
    const again = await alice.browser.request(`${stack.appUrl}/import`, {
      form: { _csrf: await csrf(alice.browser), connection: otherConnection.id },
    })
    const second = await runOf(alice, again)
    expect(second).toMatchObject({ connectionId: otherConnection.id, kind: 'incremental' })
    // Disconnect of one source ends that one only.
    const off = await alice.browser.request(`${stack.appUrl}/disconnect`, {
      form: { _csrf: await csrf(alice.browser), connection: otherConnection.id },
    })
    expect(off.status).toBe(303)
    expect((await connectionsOf(alice.personId)).map((c) => c.status)).toEqual([
      'active',
      'disconnected',
    ])
    expect(await countsOf(alice.personId)).toEqual({
      [demo.id]: 250,
      [otherConnection.id]: 250,
    })
  })

  it('when the account she connects is already hers, then that connection gets the new grant (no second one), and is imported again', async () => {
    const alice = await aliceWithTwoSources()
    const answer = await connect(alice.browser, 'alice')
    const run = await runOf(alice, answer)
    expect(run.connectionId).toBe(alice.other.id)
    const after = await connectionsOf(alice.personId)
    expect(after).toHaveLength(2)
    const renewed = await connectionAt(alice.personId, 'other')
    expect(renewed.id).toBe(alice.other.id)
    expect(renewed.grantId).not.toBe(alice.other.grantId)
    expect(await stack.redis.exists(`${stack.prefix}tok:${alice.other.grantId}`)).toBe(0)
  })

  it('when she signs out and later signs in with the connected account, then she is the same person, with both connections and the contacts of both', async () => {
    const alice = await aliceWithTwoSources()
    const out = await alice.browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: await csrf(alice.browser) },
    })
    expect(out.status).toBe(303)
    expect((await alice.browser.request(`${stack.appUrl}/contacts`)).status).toBe(303)

    const again = await signedIn('alice', 'other')
    expect(again.personId).toBe(alice.personId)
    const connections = await connectionsOf(again.personId)
    expect(connections.map((c) => c.id)).toEqual([alice.demo.id, alice.other.id])
    expect((await connectionAt(again.personId, 'other')).status).toBe('active')
    expect(await countsOf(again.personId)).toEqual({
      [alice.demo.id]: 250,
      [alice.other.id]: 250,
    })
    const page = (await again.browser.request(`${stack.appUrl}/contacts`)).body
    expect(page).toContain('500 contacts')
    expect(page).toContain(`aria-labelledby="source-${alice.demo.id}"`)
    expect(page).toContain(`aria-labelledby="source-${alice.other.id}"`)
  })
})

describe('a connect flow that comes back to another sign-in (login CSRF)', () => {
  /** The failure page after the callback's 303 to a clean URL. */
  async function refused(answer: Hop, code: string, message: string) {
    expect(answer.status).toBe(303)
    const page = await followSignInFailure(answer)
    expect(page.status).toBe(400)
    expect(page.body).toContain('<h1>Nothing was connected</h1>')
    expect(page.body).toContain(`<code>${code}</code>`)
    expect(page.body).toContain(message)
    return page
  }

  it('when alice’s connect flow is finished in bob’s browser, then it is refused, no token is asked for, and neither of them gains a connection', async () => {
    const alice = await signedIn('alice')
    const bob = await signedIn('bob')
    const callback = await connectAtProvider(alice.browser, 'alice')
    const before = tokenRequestCount()

    const answer = await bob.browser.request(callback)

    expect(answer.status).toBe(303)
    const page = await followSignInFailure(answer)
    expect(page.status).toBe(400)
    expect(page.body).toContain('<code>LOGIN_STATE_MISMATCH</code>')
    expect(tokenRequestCount()).toBe(before)
    expect((await connectionsOf(alice.personId)).map((c) => c.provider)).toEqual(['demo'])
    expect((await connectionsOf(bob.personId)).map((c) => c.provider)).toEqual(['demo'])
    // It was never bob's to spend: in alice's own browser it still finishes, for alice.
    const own = await alice.browser.request(callback)
    expect(own.status).toBe(303)
    expect(String(own.location)).toMatch(/\/imports\/[0-9a-f-]{36}$/)
    expect((await connectionsOf(alice.personId)).map((c) => c.provider)).toEqual(['demo', 'other'])
    expect((await connectionsOf(bob.personId)).map((c) => c.provider)).toEqual(['demo'])
  })

  it('when the browser signed out and in as bob before alice’s connect flow came back, then it is refused before any token request, and nothing is added to bob or to alice', async () => {
    const alice = await signedIn('alice')
    const callback = await connectAtProvider(alice.browser, 'alice')
    await alice.browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: await csrf(alice.browser) },
    })
    // Signed out at the providers too (their cookies; the app's flow cookie stays).
    await alice.browser.jar.store.removeCookies('127.0.0.1', null)
    await signIn(alice.browser, stack.appUrl, {
      username: 'bob',
      password: 'bob-demo',
      start: '/login?provider=demo',
    })
    const bobId = String((await storedSession(stack, alice.browser)).personId)
    expect(bobId).not.toBe(alice.personId)
    const before = tokenRequestCount()

    const answer = await alice.browser.request(callback)

    await refused(
      answer,
      'CONNECT_OTHER_PERSON',
      'This connection was started by someone else who was signed in here, so nothing was added to this address book.',
    )
    expect(tokenRequestCount()).toBe(before)
    expect((await connectionsOf(bobId)).map((c) => c.provider)).toEqual(['demo'])
    expect((await connectionsOf(alice.personId)).map((c) => c.provider)).toEqual(['demo'])
    // bob is still signed in, as he was.
    expect((await storedSession(stack, alice.browser)).personId).toBe(bobId)
  })

  it('when alice signed out before her connect flow came back, then it is refused before any token request, and nothing is added', async () => {
    const alice = await signedIn('alice')
    const callback = await connectAtProvider(alice.browser, 'alice')
    await alice.browser.request(`${stack.appUrl}/logout`, {
      form: { _csrf: await csrf(alice.browser) },
    })
    const before = tokenRequestCount()

    const page = await refused(
      await alice.browser.request(callback),
      'CONNECT_SIGNED_OUT',
      'You were signed out before this connection finished, so nothing was added.',
    )

    expect(page.body).toContain('href="/login"')
    expect(tokenRequestCount()).toBe(before)
    expect((await connectionsOf(alice.personId)).map((c) => c.provider)).toEqual(['demo'])
  })

  it('when alice’s session ended on the server (expired, or signed out everywhere) before the flow came back, then it is refused the same way', async () => {
    const alice = await signedIn('alice')
    const callback = await connectAtProvider(alice.browser, 'alice')
    await stack.redis.del((await storedSession(stack, alice.browser)).key)
    const before = tokenRequestCount()

    await refused(
      await alice.browser.request(callback),
      'CONNECT_SIGNED_OUT',
      'You were signed out before this connection finished, so nothing was added.',
    )
    expect(tokenRequestCount()).toBe(before)
    expect((await connectionsOf(alice.personId)).map((c) => c.provider)).toEqual(['demo'])
  })
})

describe('an account that belongs to another person', () => {
  it('when alice connects the Other Provider account carol signs in with, then it is refused: nothing merged, carol keeps her connection and her grant, and the new tokens are forgotten', async () => {
    const carol = await signedIn('carol', 'other')
    const carolConnection = await connectionAt(carol.personId, 'other')
    const alice = await signedIn('alice')
    const tokensBefore = (await stack.redis.keys(`${stack.prefix}tok:*`)).length
    const revocations = other().authorizationServer.requests.mark()

    const answer = await connect(alice.browser, 'carol')

    expect(answer.status).toBe(303)
    const page = await followSignInFailure(answer)
    expect(page.status).toBe(409)
    expect(page.body).toContain('<code>ACCOUNT_TAKEN</code>')
    expect(page.body).toContain(
      'This account already belongs to another address book here, so it was not added to yours. Nothing was changed in either.',
    )
    expect((await connectionsOf(alice.personId)).map((c) => c.provider)).toEqual(['demo'])
    const kept = await connectionAt(carol.personId, 'other')
    expect(kept).toMatchObject({ id: carolConnection.id, status: 'active' })
    expect(kept.grantId).toBe(carolConnection.grantId)
    expect((await stack.redis.keys(`${stack.prefix}tok:*`)).length).toBe(tokensBefore)
    // Not revoked at the provider: the grant there may be carol's connection's as well.
    expect(
      other()
        .authorizationServer.requests.since(revocations)
        .filter((r) => r.endpoint === 'revocation'),
    ).toEqual([])
    // carol's grant still works at the provider: a forced refresh is answered.
    const token = await services().connections.accessToken(kept)
    const refreshed = await services().connections.accessToken(kept, { rejected: token })
    expect(refreshed).not.toBe(token)
  })
})

describe('reconnecting a connection whose grant ended', () => {
  it('when Other Provider’s grant was revoked, then the source keeps its contacts and offers Reconnect, which runs the connect flow with login_hint and renews that same connection', async () => {
    const alice = await aliceWithTwoSources()
    await services().connections.requireReconnect(alice.other, 'CONTACTS_FORBIDDEN')
    expect((await connectionAt(alice.personId, 'other')).status).toBe('reconnect_needed')

    const page = (await alice.browser.request(`${stack.appUrl}/contacts`)).body
    const panel = panelOf(page, alice.other.id)
    expect(panel).toContain('Access ended at Other Provider')
    expect(panel).toContain('250 contacts from here')
    expect(panel).toContain(
      `<form method="post" action="/connect" class="inline"> <input type="hidden" name="_csrf" value="${await csrf(alice.browser)}"> <input type="hidden" name="connection" value="${alice.other.id}"> <button type="submit">Reconnect Other Provider</button>`,
    )
    expect(panel).not.toContain('action="/import"')
    expect(await countsOf(alice.personId)).toEqual({
      [alice.demo.id]: 250,
      [alice.other.id]: 250,
    })

    const start = await alice.browser.request(`${stack.appUrl}/connect`, {
      form: { _csrf: await csrf(alice.browser), connection: alice.other.id },
    })
    const authorize = new URL(String(start.location))
    expect(authorize.origin).toBe(new URL(other().issuer).origin)
    expect(authorize.searchParams.get('login_hint')).toBe(alice.other.email)

    const answer = await connect(alice.browser, 'alice', { connection: alice.other.id })
    const run = await runOf(alice, answer)
    expect(run).toMatchObject({ connectionId: alice.other.id, state: 'completed' })
    const renewed = await connectionAt(alice.personId, 'other')
    expect(renewed).toMatchObject({ id: alice.other.id, status: 'active' })
    expect(renewed.grantId).toBeDefined()
    expect(await connectionsOf(alice.personId)).toHaveLength(2)
    expect(await countsOf(alice.personId)).toEqual({
      [alice.demo.id]: 250,
      [alice.other.id]: 250,
    })
  })
})

describe('removing a source', () => {
  it('when alice removes Other Provider after confirming, then its contacts, runs and grant go, and demo’s stay', async () => {
    const alice = await aliceWithTwoSources()
    const confirm = await alice.browser.request(
      `${stack.appUrl}/connections/${alice.other.id}/remove`,
    )
    expect(confirm.status).toBe(200)
    expect(confirm.body).toContain('<h1>Remove this source</h1>')
    expect(confirm.body).toContain('the 250 contacts it brought into your address book')
    expect(confirm.body).toContain('revoked at Other Provider')
    expect(confirm.body).toContain(`action="/connections/${alice.other.id}/remove"`)
    // Without the form's token, nothing happens.
    const forged = await alice.browser.request(
      `${stack.appUrl}/connections/${alice.other.id}/remove`,
      { form: { _csrf: 'forged' } },
    )
    expect(forged.status).toBe(403)
    expect(await connectionsOf(alice.personId)).toHaveLength(2)
    const revocations = other().authorizationServer.requests.mark()

    const removed = await alice.browser.request(
      `${stack.appUrl}/connections/${alice.other.id}/remove`,
      { form: { _csrf: String(formValue(confirm.body, '_csrf')) } },
    )

    expect(removed.status).toBe(303)
    expect(removed.location).toBe(`${stack.appUrl}/?removed=revoked`)
    const notice = await alice.browser.request(String(removed.location))
    expect(notice.body).toContain('The source was removed')
    expect((await connectionsOf(alice.personId)).map((c) => c.id)).toEqual([alice.demo.id])
    expect(await countsOf(alice.personId)).toEqual({ [alice.demo.id]: 250 })
    const { rows } = await stack.database.db.query(
      'SELECT (SELECT count(*)::int FROM contacts WHERE connection_id = $1) AS contacts, (SELECT count(*)::int FROM imports WHERE connection_id = $1) AS runs',
      [alice.other.id],
    )
    expect(rows[0]).toEqual({ contacts: 0, runs: 0 })
    expect(await stack.redis.exists(`${stack.prefix}tok:${alice.other.grantId}`)).toBe(0)
    expect(
      other()
        .authorizationServer.requests.since(revocations)
        .some((r) => r.endpoint === 'revocation' && r.status === 200),
    ).toBe(true)
    const book = (await alice.browser.request(`${stack.appUrl}/contacts`)).body
    expect(book).toContain('250 contacts')
    expect(book).not.toContain(`source-${alice.other.id}`)
    // A second click finds nothing to remove.
    const twice = await alice.browser.request(
      `${stack.appUrl}/connections/${alice.other.id}/remove`,
      { form: { _csrf: await csrf(alice.browser) } },
    )
    expect(twice.status).toBe(404)
  })

  it('when a connection that needs reconnecting is removed, then its kept contacts go too', async () => {
    const alice = await aliceWithTwoSources()
    await services().connections.requireReconnect(alice.other, 'CONTACTS_FORBIDDEN')
    const confirm = await alice.browser.request(
      `${stack.appUrl}/connections/${alice.other.id}/remove`,
    )
    expect(confirm.body).toContain('the app has no access to it any more')
    const removed = await alice.browser.request(
      `${stack.appUrl}/connections/${alice.other.id}/remove`,
      { form: { _csrf: await csrf(alice.browser) } },
    )
    expect(removed.location).toBe(`${stack.appUrl}/?removed=done`)
    expect(await countsOf(alice.personId)).toEqual({ [alice.demo.id]: 250 })
  })

  it('when the last source is removed, then the person is gone and every browser of theirs is signed out', async () => {
    const bob = await signedIn('bob')
    const elsewhere = new Browser()
    await signIn(elsewhere, stack.appUrl, {
      username: 'bob',
      password: 'bob-demo',
      start: '/login?provider=demo',
    })
    expect((await storedSession(stack, elsewhere)).personId).toBe(bob.personId)
    const [only] = await connectionsOf(bob.personId)
    const confirm = await bob.browser.request(`${stack.appUrl}/connections/${only?.id}/remove`)
    expect(confirm.body).toContain('This is your last source')

    const removed = await bob.browser.request(`${stack.appUrl}/connections/${only?.id}/remove`, {
      form: { _csrf: String(formValue(confirm.body, '_csrf')) },
    })

    expect(removed.status).toBe(303)
    expect(removed.location).toBe(`${stack.appUrl}/?removed=last`)
    expect(removed.headers.getSetCookie().some((c) => /^ci\.sid=;/.test(c))).toBe(true)
    const notice = await bob.browser.request(String(removed.location))
    expect(notice.body).toContain('Your last source was removed')
    expect(await services().people.personExists(bob.personId)).toBe(false)
    for (const browser of [bob.browser, elsewhere]) {
      expect((await browser.request(`${stack.appUrl}/contacts`)).status).toBe(303)
    }
  })

  it('when a source is removed while its import is running, then the import stops without writing, and nothing of the source is left', async () => {
    const carol = await signedIn('carol')
    await firstImportDone(carol)
    other().contactsServer.settings.pageLatencyMs = 300
    const logsFrom = stack.logs.length
    try {
      const answer = await connect(carol.browser, 'carol')
      const runId = String(runIdOf(answer))
      const connection = await connectionAt(carol.personId, 'other')
      await eventually(async () => {
        const run = await services().importsStore.get(carol.personId, runId)
        return run && run.pagesDone >= 1 && run.state === 'active' ? run : undefined
      }, 'the first page written')

      const removed = await carol.browser.request(
        `${stack.appUrl}/connections/${connection.id}/remove`,
        { form: { _csrf: await csrf(carol.browser) } },
      )

      expect(removed.status).toBe(303)
      await eventually(
        async () =>
          stack.logs.some(
            (line) => line.includes(runId) && /gone or (taken over|finished)/.test(line),
          ) || undefined,
        'the worker to stop the run',
      )
      await sleep(700) // a page in flight would have been written by now
      const { rows } = await stack.database.db.query(
        'SELECT (SELECT count(*)::int FROM contacts WHERE connection_id = $1) AS contacts, (SELECT count(*)::int FROM imports WHERE id = $2) AS runs',
        [connection.id, runId],
      )
      expect(rows[0]).toEqual({ contacts: 0, runs: 0 })
      expect(Object.values(await countsOf(carol.personId))).toEqual([2987])
      const errors = stack.logs.slice(logsFrom).filter((line) => JSON.parse(line).level >= 50)
      expect(errors).toEqual([])
    } finally {
      other().contactsServer.settings.pageLatencyMs = 0
    }
  })
})

describe('a second person', () => {
  it('when bob names alice’s connection on any of the new routes, then it is a 404 and alice’s connection is untouched', async () => {
    const alice = await aliceWithTwoSources()
    const bob = await signedIn('bob')
    const token = await csrf(bob.browser)
    const url = (path: string) => `${stack.appUrl}${path}`

    const confirm = await bob.browser.request(url(`/connections/${alice.other.id}/remove`))
    expect(confirm.status).toBe(404)
    expect(confirm.body).not.toContain('Other Provider')
    const remove = await bob.browser.request(url(`/connections/${alice.other.id}/remove`), {
      form: { _csrf: token },
    })
    expect(remove.status).toBe(404)
    const reconnect = await bob.browser.request(url('/connect'), {
      form: { _csrf: token, connection: alice.other.id },
    })
    expect(reconnect.status).toBe(404)
    expect(reconnect.location).toBeUndefined()
    const bobsPage = (await bob.browser.request(url('/contacts'))).body
    expect(bobsPage).not.toContain(alice.other.id)
    expect(bobsPage).not.toContain(alice.demo.id)

    expect((await connectionsOf(alice.personId)).map((c) => [c.id, c.status])).toEqual([
      [alice.demo.id, 'active'],
      [alice.other.id, 'active'],
    ])
    expect(await countsOf(alice.personId)).toEqual({
      [alice.demo.id]: 250,
      [alice.other.id]: 250,
    })
  })

  it('when bob connects Other Provider, then it is his own connection, and alice’s stay as they were', async () => {
    const alice = await aliceWithTwoSources()
    const bob = await signedIn('bob')
    const answer = await connect(bob.browser, 'bob')
    const run = await runOf(bob, answer)
    expect(run.state).toBe('completed')
    expect((await connectionsOf(bob.personId)).map((c) => c.provider)).toEqual(['demo', 'other'])
    expect((await connectionsOf(alice.personId)).map((c) => c.id)).toEqual([
      alice.demo.id,
      alice.other.id,
    ])
  })
})

describe('bad requests to the new routes', () => {
  it.each([
    ['no CSRF token', { provider: 'other' }, 403],
    ['an unknown provider', { provider: 'nope' }, 404],
    ['no provider at all', {}, 404],
    ['a connection id that is not an id', { connection: 'x' }, 404],
    ['a provider that is not the connection’s', { provider: 'other', connection: 'own' }, 400],
  ])(
    'when POST /connect carries %s, then it is a clear %i and no flow starts',
    async (_what, fields, status) => {
      const alice = await signedIn('alice')
      const own = (await connectionsOf(alice.personId))[0]
      const form: Record<string, string> = Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [k, v === 'own' ? String(own?.id) : v]),
      )
      if (status !== 403) form._csrf = await csrf(alice.browser)
      const answer = await alice.browser.request(`${stack.appUrl}/connect`, { form })
      expect(answer.status).toBe(status)
      expect(answer.location).toBeUndefined()
      expect(answer.body).not.toMatch(/at .*\.(ts|js):\d+/)
    },
  )

  it('when a route is used without being signed in, or with the wrong method, then it is a 4xx', async () => {
    const anonymous = new Browser()
    const post = await anonymous.request(`${stack.appUrl}/connect`, {
      form: { provider: 'other' },
    })
    expect(post.status).toBe(401)
    const page = await anonymous.request(
      `${stack.appUrl}/connections/00000000-0000-4000-8000-000000000000/remove`,
    )
    expect(page.status).toBe(303)
    expect(page.location).toContain('/login?returnTo=')
    const alice = await signedIn('alice')
    expect((await alice.browser.request(`${stack.appUrl}/connect`)).status).toBe(405)
    expect(
      (
        await alice.browser.request(
          `${stack.appUrl}/connections/00000000-0000-4000-8000-000000000000/remove`,
          { method: 'DELETE' },
        )
      ).status,
    ).toBe(405)
    expect(
      (await alice.browser.request(`${stack.appUrl}/connections/not-an-id/remove`)).status,
    ).toBe(404)
  })
})
