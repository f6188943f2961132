// A refresh in the import worker that comes back with an ID token for another account (OIDC
// Core §12.2). No browser is part of that refresh, yet whoever is signed in may not be who
// the provider now vouches for: the run fails saying "reconnect", the connection needs
// reconnecting, its tokens are gone, and every session of the person is signed out, on
// every browser. Another person stays signed in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportRun } from '../../src/imports/imports-store.ts'
import { Browser } from './support/browser.ts'
import { bookOf, personOf, runsOf, startImport, waitForRun } from './support/imports.ts'
import { signIn } from './support/login.ts'
import { storedConnection, storedSession } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

const START = '/login?provider=demo'

let stack: TestStack
let bob: Browser
let bobIdToken: string
let laptop: Browser
let phone: Browser
let carolPerson: string
let connectionId: string
let grantId: string
let sessionKeys: string[]
let run: ImportRun
let pagesAtFailure: number[]

/** Signs in and waits for the import the first sign-in started. */
async function signInAndImport(browser: Browser, username: string) {
  await signIn(browser, stack.appUrl, { username, password: `${username}-demo`, start: START })
  const person = await personOf(stack, browser)
  const [first] = await runsOf(stack, person)
  if (first) await waitForRun(stack, person, first.id)
  return person
}

const pageStatuses = (from: number) =>
  stack.demo.contactsServer.requests
    .slice(from)
    .filter((r) => r.path === '/v1/people/me/connections' && r.sub === 'carol')
    .map((r) => r.status)

beforeAll(async () => {
  stack = await startStack({ workers: [0] })
  // Bob's ID token, as the provider issued it to this client at his sign-in.
  const issued: string[] = []
  stack.tamper = async (request, real) => {
    const response = await real()
    if (request.url.endsWith('/token')) {
      const body = (await response.clone().json()) as { id_token?: string }
      if (body.id_token) issued.push(body.id_token)
    }
    return response
  }
  bob = new Browser()
  await signInAndImport(bob, 'bob')
  stack.tamper = undefined
  bobIdToken = String(issued[0])

  laptop = new Browser()
  carolPerson = await signInAndImport(laptop, 'carol')
  phone = new Browser()
  await signIn(phone, stack.appUrl, { username: 'carol', password: 'carol-demo', start: START })
  expect(await personOf(stack, phone)).toBe(carolPerson)
  const connection = await storedConnection(stack, phone)
  connectionId = connection.id
  grantId = String(connection.grantId)
  sessionKeys = [(await storedSession(stack, laptop)).key, (await storedSession(stack, phone)).key]

  // Next import: a full one, whose second page is refused, so the worker refreshes in the
  // middle of it, and the provider's answer names bob.
  await stack.database.db.query(`UPDATE connections SET import_state = '{}' WHERE id = $1`, [
    connectionId,
  ])
  stack.demo.contactsServer.faults.add({ status: 401, after: 1 })
  stack.tamper = async (request, real) => {
    const response = await real()
    if (!request.body.includes('grant_type=refresh_token')) return response
    const body = (await response.json()) as Record<string, unknown>
    return Response.json({ ...body, id_token: bobIdToken }, { status: response.status })
  }
  const from = stack.demo.contactsServer.requests.length
  run = await waitForRun(stack, carolPerson, await startImport(stack, laptop))
  pagesAtFailure = pageStatuses(from)
  stack.tamper = undefined
}, 90_000)
afterAll(() => stack?.close())

describe('a refresh during an import answers for another account', () => {
  it('then the run fails after the page it wrote, saying in plain words to reconnect, with no retry', async () => {
    expect(run).toMatchObject({ state: 'failed', pagesDone: 1 })
    expect(run.error).toEqual({
      code: 'IDENTITY_MISMATCH',
      message: 'Access to your contacts has ended. Reconnect your account to import again.',
      retryable: false,
    })
    // Nothing was read with the refused token after the refresh, nor with bob's.
    expect(pagesAtFailure).toEqual([200, 401])
    expect(await bookOf(stack, connectionId)).toHaveLength(2987)
  })

  it('then the connection needs reconnecting and its tokens are gone', async () => {
    const connection = await stack.apps[0]?.services.people.connection(carolPerson, connectionId)
    expect(connection?.status).toBe('reconnect_needed')
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
  })

  it('then every browser signed in as carol is signed out at its next request, and bob is not', async () => {
    for (const key of sessionKeys) expect(await stack.redis.exists(key)).toBe(0)
    for (const browser of [laptop, phone]) {
      const hop = await browser.request(`${stack.appUrl}/contacts`)
      expect(hop.status).toBe(303)
      expect(hop.location).toBe(`${stack.appUrl}/login?returnTo=%2Fcontacts`)
      const json = await browser.request(`${stack.appUrl}/imports/${run.id}`, {
        headers: { accept: 'application/json' },
      })
      expect(json.status).toBe(401)
    }
    const bobsBook = await bob.request(`${stack.appUrl}/contacts`)
    expect(bobsBook.status).toBe(200)
  })

  it('when carol signs in again, then her connection is active again and the run still says why it failed', async () => {
    await signIn(laptop, stack.appUrl, { username: 'carol', password: 'carol-demo', start: START })
    expect(await personOf(stack, laptop)).toBe(carolPerson)
    expect((await storedConnection(stack, laptop)).status).toBe('active')
    const page = await laptop.request(`${stack.appUrl}/imports/${run.id}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('Reconnect your account to import again.')
    // The phone stays signed out: only a new sign-in signs a browser in.
    expect((await phone.request(`${stack.appUrl}/contacts`)).status).toBe(303)
  })
})
