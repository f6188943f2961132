// Imports as a person meets them, against the demo People server: the first sign-in imports
// by itself; "Import now" again reads only the changes (none, or exactly the ones made at
// the provider) and never duplicates a record; an expired sync token turns the run into a
// full resync whose sweep applies a deletion the stale token missed; two clicks make one
// run; the progress page, its JSON, its CSV; and another person sees none of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Person } from '../../demo/person.ts'
import { createDemoDirectory } from '../../demo/seed.ts'
import { Browser } from './support/browser.ts'
import {
  bookOf,
  csrfOf,
  personOf,
  runsOf,
  startImport,
  waitForRun,
} from './support/imports.ts'
import { signIn } from './support/login.ts'
import { storedConnection } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
let alice: Browser
let personId: string
let connectionId: string
let firstRunId: string

const alicePeople: readonly Person[] = createDemoDirectory().get('alice') ?? []
const directory = () => stack.demo.contactsServer.directory

beforeAll(async () => {
  stack = await startStack({ workers: [0] })
  alice = new Browser()
  await signIn(alice, stack.appUrl, { username: 'alice', password: 'alice-demo' })
  personId = await personOf(stack, alice)
  connectionId = (await storedConnection(stack, alice)).id
  const [run] = await runsOf(stack, personId)
  firstRunId = run?.id ?? ''
  await waitForRun(stack, personId, firstRunId)
})
afterAll(() => stack?.close())

/** One import, clicked by alice, to its end. */
async function importNow() {
  const id = await startImport(stack, alice)
  return waitForRun(stack, personId, id)
}

const externalIds = async () => (await bookOf(stack, connectionId)).map((r) => r.externalId)

describe('the first sign-in', () => {
  it('when alice signs in for the first time, then her 250 contacts are imported without a click, labels by name', async () => {
    const run = await waitForRun(stack, personId, firstRunId)

    expect(run).toMatchObject({ state: 'completed', kind: 'full', error: undefined })
    expect(run.counts).toEqual({ created: 250, updated: 0, deleted: 0, unchanged: 0, skipped: 0 })
    expect(run.pagesDone).toBe(1)
    expect(await externalIds()).toEqual(alicePeople.map((p) => p.resourceName).sort())
    const { rows } = await stack.database.db.query<{ labels: string[] }>(
      `SELECT data->'labels' AS labels FROM contacts WHERE connection_id = $1`,
      [connectionId],
    )
    // contactGroups.list turned every group id into the name the person knows.
    expect(rows.every((r) => r.labels.includes('My Contacts'))).toBe(true)
    expect(rows.flatMap((r) => r.labels).some((l) => l.startsWith('contactGroups/'))).toBe(false)
  })

  it('when she signs in again after an import completed, then no second import starts by itself', async () => {
    const again = new Browser()
    await signIn(again, stack.appUrl, { username: 'alice', password: 'alice-demo' })
    const runs = await runsOf(stack, personId)
    expect(runs.filter((r) => r.state === 'waiting' || r.state === 'active')).toEqual([])
    expect(runs.at(-1)?.id).toBe(firstRunId)
  })
})

describe('importing again', () => {
  it('when nothing changed at the provider, then the incremental run reports no change and the book keeps 250 records', async () => {
    const run = await importNow()

    expect(run).toMatchObject({ state: 'completed', kind: 'incremental' })
    expect(run.counts).toEqual({ created: 0, updated: 0, deleted: 0, unchanged: 0, skipped: 0 })
    expect(await externalIds()).toHaveLength(250)
  })

  it('when the whole book is read again (no sync token), then every record is unchanged and none is duplicated', async () => {
    await stack.database.db.query(`UPDATE connections SET import_state = '{}' WHERE id = $1`, [
      connectionId,
    ])
    const run = await importNow()

    expect(run).toMatchObject({ state: 'completed', kind: 'full' })
    expect(run.counts).toEqual({ created: 0, updated: 0, deleted: 0, unchanged: 250, skipped: 0 })
    expect(await externalIds()).toEqual(alicePeople.map((p) => p.resourceName).sort())
  })

  it('when contacts were added, changed and deleted at the provider, then the incremental run reports exactly those and the book follows', async () => {
    const people = directory().people('alice')
    const [changed, deleted] = [people[10] as Person, people[20] as Person]
    const added = directory().add('alice', { names: [{ displayName: 'Zoë Newcomer' }] })
    directory().update('alice', changed.resourceName, {
      names: [{ displayName: 'Renamed Person' }],
    })
    directory().delete('alice', deleted.resourceName)

    const run = await importNow()

    expect(run).toMatchObject({ state: 'completed', kind: 'incremental' })
    expect(run.counts).toEqual({ created: 1, updated: 1, deleted: 1, unchanged: 0, skipped: 0 })
    const book = await bookOf(stack, connectionId)
    expect(book).toHaveLength(250)
    const byId = new Map(book.map((r) => [r.externalId, r]))
    expect(byId.get(added.resourceName)?.displayName).toBe('Zoë Newcomer')
    expect(byId.get(changed.resourceName)?.displayName).toBe('Renamed Person')
    expect(byId.has(deleted.resourceName)).toBe(false)
  })

  it('when the sync token expired and a contact was deleted meanwhile, then the run resyncs in full and its sweep removes that contact', async () => {
    const victim = directory().people('alice')[30] as Person
    directory().delete('alice', victim.resourceName)
    // The stale token cannot report the deletion: only the resync's sweep can notice it.
    stack.demo.contactsServer.faults.expireSyncTokens()

    const run = await importNow()

    expect(run).toMatchObject({ state: 'completed', kind: 'resync', error: undefined })
    expect(run.counts).toMatchObject({ created: 0, updated: 0, deleted: 1, unchanged: 249 })
    const ids = await externalIds()
    expect(ids).toHaveLength(249)
    expect(ids).not.toContain(victim.resourceName)
    expect(ids).toEqual(
      directory()
        .people('alice')
        .map((p) => p.resourceName)
        .sort(),
    )
    // The resync got a new token: the next import reads changes only again.
    expect((await importNow()).kind).toBe('incremental')
  })
})
