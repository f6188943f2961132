// An import that meets a provider misbehaving the ways real ones do (contacts-apis.md §3.6,
// §10), driven by the demo People server's fault switches: a 429 without Retry-After and
// 5xx answers are waited out (jittered backoff, shortened for tests), a 401 in the middle
// costs one refresh and the import goes on, a page that keeps failing fails the run with a
// plain reason and a retry button that works, and a grant revoked or lacking the scope
// makes the connection `reconnect_needed` and the run say "reconnect".
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoDirectory } from '../../demo/seed.ts'
import type { ImportRun } from '../../src/imports/imports-store.ts'
import { Browser, formValue } from './support/browser.ts'
import { bookOf, personOf, runsOf, startImport, waitForRun } from './support/imports.ts'
import { signIn } from './support/login.ts'
import { storedConnection } from './support/session.ts'
import { startStack, TEST_BACKOFF, type TestStack, tokenRequests } from './support/stack.ts'

let stack: TestStack
let carol: Browser
let personId: string
let connectionId: string
let firstRun: ImportRun

const carolIds = (createDemoDirectory().get('carol') ?? []).map((p) => p.resourceName).sort()
const faults = () => stack.demo.contactsServer.faults
const START = '/login?provider=demo'
/** The statuses the contacts server gave carol's page requests, from `from` on. */
const pageStatuses = (from: number) =>
  stack.demo.contactsServer.requests
    .slice(from)
    .filter((r) => r.path === '/v1/people/me/connections' && r.sub === 'carol')
    .map((r) => r.status)

beforeAll(async () => {
  stack = await startStack({ workers: [0] })
  // Google's per-user quota answer: 429 and no Retry-After. The first import meets it.
  faults().add({ status: 429 })
  carol = new Browser()
  // Signed in with the start page's button. The first sign-in queues carol's first import,
  // which the worker runs; no page reads the provider, so every contacts request below is
  // an import's.
  await signIn(carol, stack.appUrl, { username: 'carol', password: 'carol-demo', start: START })
  personId = await personOf(stack, carol)
  connectionId = (await storedConnection(stack, carol)).id
  const [run] = await runsOf(stack, personId)
  firstRun = await waitForRun(stack, personId, run?.id ?? '')
}, 60_000)
afterAll(() => stack?.close())

/** Forgets the sync token, so the next import reads the whole book. */
async function forgetSyncToken() {
  await stack.database.db.query(`UPDATE connections SET import_state = '{}' WHERE id = $1`, [
    connectionId,
  ])
}

async function importNow() {
  return waitForRun(stack, personId, await startImport(stack, carol))
}

describe('a provider that throttles or falters', () => {
  it('when the first page is answered 429 without Retry-After, then it is asked again after a backoff and carol gets all 2,987 contacts', async () => {
    expect(firstRun).toMatchObject({ state: 'completed', kind: 'full', pagesDone: 3 })
    expect(firstRun.counts).toEqual({
      created: 2987,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      skipped: 0,
    })
    expect(pageStatuses(0)).toEqual([429, 200, 200, 200])
    expect(
      stack.logs.some((l) => l.includes('contacts API: retrying') && l.includes('"waitMs"')),
    ).toBe(true)
    expect((await bookOf(stack, connectionId)).map((r) => r.externalId)).toEqual(carolIds)
  })

  it('when the second page is answered 503 twice, then the import waits it out and ends with the book unchanged', async () => {
    await forgetSyncToken()
    const from = stack.demo.contactsServer.requests.length
    faults().add({ status: 503, after: 1, times: 2 })

    const run = await importNow()

    expect(run).toMatchObject({ state: 'completed', kind: 'full', pagesDone: 3 })
    expect(run.counts).toMatchObject({ created: 0, unchanged: 2987, deleted: 0 })
    expect(pageStatuses(from)).toEqual([200, 503, 503, 200, 200])
    expect(await bookOf(stack, connectionId)).toHaveLength(2987)
  })

  it('when the access token is refused in the middle, then it is refreshed once and the import goes on from that page', async () => {
    await forgetSyncToken()
    const from = stack.demo.contactsServer.requests.length
    const refreshes = tokenRequests(stack).length
    faults().add({ status: 401, after: 1 })

    const run = await importNow()

    expect(run).toMatchObject({ state: 'completed', pagesDone: 3, error: undefined })
    expect(pageStatuses(from)).toEqual([200, 401, 200, 200])
    const grants = tokenRequests(stack)
      .slice(refreshes)
      .map((r) => new URLSearchParams(r.body).get('grant_type'))
    expect(grants).toEqual(['refresh_token'])
  })
})

describe('a page that keeps failing', () => {
  let failed: ImportRun

  beforeAll(async () => {
    await forgetSyncToken()
    faults().add({ status: 500, after: 1, times: TEST_BACKOFF.tries ?? 1 })
    failed = await importNow()
  })

  it('then the run fails after its last try, keeps what it wrote, and says why in plain words', async () => {
    expect(failed).toMatchObject({ state: 'failed', pagesDone: 1 })
    expect(failed.error).toEqual({
      code: 'CONTACTS_UNAVAILABLE',
      message:
        'Your contacts provider is not answering right now. Nothing was lost; please try again in a moment.',
      retryable: true,
    })
    const json = await carol.request(`${stack.appUrl}/imports/${failed.id}`, {
      headers: { accept: 'application/json' },
    })
    expect(JSON.parse(json.body)).toMatchObject({ state: 'failed', error: failed.error })
  })

  it('then its page offers a retry, and the retry imports the whole book', async () => {
    const page = await carol.request(`${stack.appUrl}/imports/${failed.id}`)
    expect(page.body).toContain('Import failed')
    expect(page.body).toContain('Try the import again')
    expect(page.body).not.toContain('Reconnect')
    expect(formValue(page.body, 'connection')).toBe(connectionId)

    const retry = await carol.request(`${stack.appUrl}/import`, {
      form: { _csrf: String(formValue(page.body, '_csrf')), connection: connectionId },
    })
    expect(retry.status).toBe(303)
    const run = await waitForRun(stack, personId, retry.location?.split('/').at(-1) ?? '')

    expect(run).toMatchObject({ state: 'completed', kind: 'full', pagesDone: 3 })
    expect(run.counts).toMatchObject({ created: 0, unchanged: 2987, deleted: 0 })
    expect((await bookOf(stack, connectionId)).map((r) => r.externalId)).toEqual(carolIds)
  })
})

describe('a grant that can no longer read contacts', () => {
  it('when carol revoked the grant during an import, then the run fails saying "reconnect", not retryable, and the connection needs reconnecting', async () => {
    await forgetSyncToken()
    expect(await stack.demo.authorizationServer.revokeAccountGrants('carol')).toBeGreaterThan(0)
    // The access token still verifies; the resource server now refuses it, and the
    // refresh that follows meets the revoked grant.
    faults().add({ status: 401, after: 1 })

    const run = await importNow()

    expect(run).toMatchObject({ state: 'failed', pagesDone: 1 })
    expect(run.error).toMatchObject({ code: 'GRANT_REVOKED', retryable: false })
    expect(run.error?.message).toMatch(/reconnect/i)
    const connection = await storedConnection(stack, carol)
    expect(connection.status).toBe('reconnect_needed')
    expect(connection.grantId).toBeUndefined()
    const page = await carol.request(`${stack.appUrl}/imports/${run.id}`)
    expect(page.body).toContain('href="/login?provider=demo&amp;returnTo=%2Fcontacts"')
    expect(page.body).not.toContain('Try the import again')
    // What it wrote stays: a reconnect and an import carry on from there.
    expect(await bookOf(stack, connectionId)).toHaveLength(2987)
  })

  it('when the provider says the grant lacks the contacts scope, then the grant is revoked and the connection needs reconnecting', async () => {
    faults().add({ status: 403 })
    const alice = new Browser()
    await signIn(alice, stack.appUrl, { username: 'alice', password: 'alice-demo', start: START })
    const alicePerson = await personOf(stack, alice)
    const [started] = await runsOf(stack, alicePerson)
    const run = await waitForRun(stack, alicePerson, started?.id ?? '')

    expect(run).toMatchObject({ state: 'failed', pagesDone: 0 })
    expect(run.error).toMatchObject({ code: 'CONTACTS_FORBIDDEN', retryable: false })
    expect(run.error?.message).toMatch(/reconnect/i)
    const connection = await storedConnection(stack, alice)
    expect(connection.status).toBe('reconnect_needed')
    expect(await stack.redis.keys(`${stack.prefix}tok:*`)).not.toContainEqual(
      expect.stringContaining(String(connection.grantId)),
    )
  })
})
