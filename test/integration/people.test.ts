// A person and their connections, on real PostgreSQL, Redis and the demo provider: the
// same account always finds the same person, a token record only opens for the connection
// it belongs to, and a grant that ends at the provider marks its connection, whichever
// reader meets it (the contacts read an import does, or the domain function itself).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors.ts'
import { Browser, formValue } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { readContacts } from './support/read-contacts.ts'
import { storedConnection, storedSession, storedTokens } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

const TTL_SECONDS = 2
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let stack: TestStack
beforeAll(async () => {
  stack = await startStack({
    accessTokenTtlSeconds: TTL_SECONDS,
    env: { TOKEN_REFRESH_SKEW_SECONDS: '0' },
  })
})
afterAll(() => stack?.close())
// Each test starts from nobody: who exists is part of what these tests arrange.
beforeEach(async () => {
  await stack.database.db.query('DELETE FROM people')
})
afterEach(() => {
  stack.demo.authorizationServer.intercept = undefined
})

const services = () => {
  const app = stack.apps[0]
  if (!app) throw new Error('no app')
  return app.services
}

/** Signed in from the start page, so nothing has read the contacts yet. */
async function signedIn(username: string) {
  const browser = new Browser()
  const page = await signIn(browser, stack.appUrl, {
    username,
    password: `${username}-demo`,
    start: '/login',
  })
  expect(page.status).toBe(200)
  return {
    browser,
    session: await storedSession(stack, browser),
    connection: await storedConnection(stack, browser),
  }
}

describe('a person is found by the account they signed in with', () => {
  it('when the same account signs in from two browsers, then both sessions name the same person and connection, on the newer grant', async () => {
    const first = await signedIn('alice')
    const revocationsBefore = stack.demo.authorizationServer.requests.mark()
    const second = await signedIn('alice')
    expect(second.session.personId).toBe(first.session.personId)
    expect(second.session.key).not.toBe(first.session.key)
    expect(second.connection.id).toBe(first.connection.id)
    expect(second.connection.grantId).not.toBe(first.connection.grantId)
    // The old record is dropped, not revoked: the provider may have reused the grant.
    expect(await stack.redis.exists(`${stack.prefix}tok:${first.connection.grantId}`)).toBe(0)
    expect(
      stack.demo.authorizationServer.requests
        .since(revocationsBefore)
        .filter((r) => r.endpoint === 'revocation'),
    ).toHaveLength(0)
    const { rows } = await stack.database.db.query(
      'SELECT count(*)::int AS n FROM connections WHERE subject = $1',
      ['alice'],
    )
    expect(rows[0]?.n).toBe(1)
  })

  it('when two accounts sign in, then they are two people, each with one connection', async () => {
    const alice = await signedIn('alice')
    const carol = await signedIn('carol')
    expect(carol.session.personId).not.toBe(alice.session.personId)
    expect(await services().people.connections(String(carol.session.personId))).toHaveLength(1)
  })

  it('when the session names a person that no longer exists, then the browser is signed out', async () => {
    const { browser, session } = await signedIn('bob')
    await stack.database.db.query('DELETE FROM people WHERE id = $1', [session.personId])
    const page = await browser.request(`${stack.appUrl}/resource`)
    expect(page.status).toBe(303)
    expect(page.location).toContain('/login')
  })
})

describe('disconnecting one connection', () => {
  it('when Disconnect names a connection that is not the person’s, then 404 and both connections stay active', async () => {
    const alice = await signedIn('alice')
    const carol = await signedIn('carol')
    const page = await alice.browser.request(`${stack.appUrl}/`)
    const csrf = String(formValue(page.body, '_csrf'))
    const hop = await alice.browser.request(`${stack.appUrl}/disconnect`, {
      form: { _csrf: csrf, connection: carol.connection.id },
    })
    expect(hop.status).toBe(404)
    expect((await storedConnection(stack, carol.browser)).status).toBe('active')
    expect((await storedConnection(stack, alice.browser)).status).toBe('active')
  })

  it('when Disconnect is pressed twice, then the second answer is "Disconnected." again and changes nothing', async () => {
    const alice = await signedIn('alice')
    const page = await alice.browser.request(`${stack.appUrl}/`)
    const form = {
      _csrf: String(formValue(page.body, '_csrf')),
      connection: alice.connection.id,
    }
    const first = await alice.browser.request(`${stack.appUrl}/disconnect`, { form })
    expect(first.status).toBe(303)
    const revocations = stack.demo.authorizationServer.requests.mark()
    const second = await alice.browser.request(`${stack.appUrl}/disconnect`, { form })
    expect(second.location).toBe(`${stack.appUrl}/?disconnected=done`)
    expect(stack.demo.authorizationServer.requests.since(revocations)).toHaveLength(0)
    expect((await storedConnection(stack, alice.browser)).status).toBe('disconnected')
  })
})

describe('a token record opens only for its own connection', () => {
  it('when one person’s connection is pointed at another person’s grant, then the record is refused and nothing is read with it', async () => {
    const alice = await signedIn('alice')
    const carol = await signedIn('carol')
    const contactsBefore = stack.demo.contactsServer.requests.mark()
    // An operator mistake or an attacker with database access swaps the grant reference.
    await stack.database.db.query('UPDATE connections SET grant_id = NULL WHERE id = $1', [
      alice.connection.id,
    ])
    await stack.database.db.query('UPDATE connections SET grant_id = $2 WHERE id = $1', [
      carol.connection.id,
      alice.connection.grantId,
    ])
    const read = await readContacts(stack, carol.browser)
    expect(read).toMatchObject({ ok: false, code: 'GRANT_REVOKED', status: 403 })
    expect(read.ok || read.message).toContain('reconnect')
    expect(stack.demo.contactsServer.requests.since(contactsBefore)).toHaveLength(0)
    expect(
      stack.logs.some((line) => line.includes('could not be opened for this connection')),
    ).toBe(true)
    expect((await storedConnection(stack, carol.browser)).status).toBe('reconnect_needed')
    // Alice's record itself is untouched.
    expect(await stack.redis.exists(`${stack.prefix}tok:${alice.connection.grantId}`)).toBe(1)
  })
})

describe('a grant that ended at the provider', () => {
  async function revokedAndExpired(username: string) {
    const signed = await signedIn(username)
    const before = await storedTokens(stack, signed.browser)
    expect(await stack.demo.authorizationServer.revokeAccountGrants(username)).toBeGreaterThan(0)
    await sleep(Math.max(0, Number(before?.expiresAt) * 1000 - Date.now()) + 100)
    return signed
  }

  it('when a contacts read meets it, then the connection is reconnect_needed, the person stays signed in, and their pages say so', async () => {
    const { browser } = await revokedAndExpired('alice')
    const read = await readContacts(stack, browser)
    expect(read).toMatchObject({ ok: false, code: 'GRANT_REVOKED' })
    const connection = await storedConnection(stack, browser)
    expect(connection.status).toBe('reconnect_needed')
    expect(connection.grantId).toBeUndefined()
    const home = await browser.request(`${stack.appUrl}/`)
    expect(home.body).toContain('ended at the provider')
    const book = await browser.request(`${stack.appUrl}/contacts`)
    expect(book.status).toBe(200)
    expect(book.body).toContain('Reconnect Demo Provider')
  })

  it('when the domain function meets it (as a background job would), then the connection is marked the same way, without any session', async () => {
    const { browser, connection } = await revokedAndExpired('carol')
    const err = await services()
      .connections.accessToken(connection)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('GRANT_REVOKED')
    const after = await storedConnection(stack, browser)
    expect(after.status).toBe('reconnect_needed')
    expect(await stack.redis.exists(`${stack.prefix}tok:${connection.grantId}`)).toBe(0)
  })

  it('when a connection is used, then its last-used and last-refreshed times are kept', async () => {
    const { browser, connection } = await signedIn('bob')
    expect(connection.lastUsedAt).toBeUndefined()
    expect((await readContacts(stack, browser)).ok).toBe(true)
    await sleep(TTL_SECONDS * 1000 + 100)
    expect((await readContacts(stack, browser)).ok).toBe(true)
    const after = await storedConnection(stack, browser)
    expect(after.lastUsedAt).toBeInstanceOf(Date)
    expect(after.lastRefreshedAt).toBeInstanceOf(Date)
  })
})
