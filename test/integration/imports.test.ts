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
  demoName,
  eventually,
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
    const added = directory().add('alice', { names: [demoName('Zoë Newcomer')] })
    directory().update('alice', changed.resourceName, {
      names: [demoName('Renamed Person')],
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

describe('a run deleted while it runs', () => {
  it('when the run row goes (the person deleted their data), then its job ends quietly and writes nothing more', async () => {
    const added = directory().add('alice', { names: [demoName('Never Imported')] })
    // The page is held at the provider while the row is deleted.
    stack.demo.contactsServer.faults.add({ delayMs: 400, route: 'connections' })
    const id = await startImport(stack, alice)
    await stack.database.db.query('DELETE FROM imports WHERE id = $1', [id])

    await eventually(
      async () => (stack.logs.some((l) => l.includes('import run gone')) ? true : undefined),
      'the worker to notice',
    )
    expect(await externalIds()).not.toContain(added.resourceName)
    expect(stack.logs.filter((l) => l.includes('"import failed"'))).toEqual([])
    directory().delete('alice', added.resourceName)
    stack.demo.contactsServer.faults.clear()
  })
})

describe('two clicks at once', () => {
  it('when "Import now" is posted twice at the same moment, then both land on one run and one run is made', async () => {
    const before = (await runsOf(stack, personId)).length
    const csrf = await csrfOf(stack, alice)
    const post = () => alice.request(`${stack.appUrl}/import`, { form: { _csrf: csrf } })

    const [a, b] = await Promise.all([post(), post()])

    expect([a.status, b.status]).toEqual([303, 303])
    expect(a.location).toBe(b.location)
    const runs = await runsOf(stack, personId)
    expect(runs).toHaveLength(before + 1)
    expect(a.location).toBe(`${stack.appUrl}/imports/${runs[0]?.id}`)
    await waitForRun(stack, personId, runs[0]?.id ?? '')
  })
})

describe('the progress page', () => {
  it('while a run waits, then the page has a real <progress> with a label, a live status line, and refreshes itself without JavaScript', async () => {
    // A held run: nothing takes its job until the worker can read the provider's first page.
    stack.demo.contactsServer.faults.add({ delayMs: 600, route: 'connections' })
    const id = await startImport(stack, alice)
    const page = await alice.request(`${stack.appUrl}/imports/${id}`)

    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.body).toMatch(/<progress id="import-progress" aria-label="Import progress"/)
    expect(page.body).toMatch(/<p id="import-status" role="status" aria-live="polite">/)
    expect(page.body).toContain('data-events="/imports/')
    expect(page.body).toContain('<noscript><meta http-equiv="refresh" content="3"></noscript>')
    expect(page.body).toContain('<script src="/static/import-progress.js" defer></script>')
    // Same-origin scripts only, never inline ones.
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")

    const done = await waitForRun(stack, personId, id)
    const summary = await alice.request(`${stack.appUrl}/imports/${id}`)
    expect(done.state).toBe('completed')
    expect(summary.body).toContain('Import complete')
    expect(summary.body).not.toContain('http-equiv="refresh"')
    expect(summary.body).not.toContain('import-progress.js')
    expect(summary.body).toMatch(/<progress[^>]* value="1" max="1">/)
    expect(summary.body).toContain('href="/contacts"')
  })

  it('when asked for JSON, then it answers { state, kind, counts, pagesDone, error } for scripts', async () => {
    const hop = await alice.request(`${stack.appUrl}/imports/${firstRunId}`, {
      headers: { accept: 'application/json' },
    })

    expect(hop.status).toBe(200)
    expect(hop.headers.get('content-type')).toMatch(/^application\/json/)
    expect(JSON.parse(hop.body)).toEqual({
      id: firstRunId,
      state: 'completed',
      kind: 'full',
      counts: { created: 250, updated: 0, deleted: 0, unchanged: 0, skipped: 0 },
      pagesDone: 1,
      total: 250,
      error: null,
    })
  })

  it('when records could not be kept, then the summary lists them with the reason and the CSV has them all', async () => {
    const empty = directory().add('alice', {})
    const id = await startImport(stack, alice)
    const run = await waitForRun(stack, personId, id)
    expect(run.counts).toMatchObject({ created: 0, skipped: 1 })

    const page = await alice.request(`${stack.appUrl}/imports/${id}`)
    expect(page.body).toContain('1 record was skipped')
    expect(page.body).toContain(empty.resourceName)
    expect(page.body).toContain('no name, email, phone number or any other detail')

    const csv = await alice.request(`${stack.appUrl}/imports/${id}/skipped.csv`)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(csv.headers.get('content-disposition')).toMatch(
      /^attachment; filename="?import-[0-9a-f-]{36}-skipped\.csv/,
    )
    const { parse } = await import('csv-parse/sync')
    const rows = parse(csv.body.replace(/^\uFEFF/, ''), { columns: true }) as unknown[]
    expect(rows).toEqual([
      {
        'provider id': empty.resourceName,
        reason: 'This contact has no name, email, phone number or any other detail to keep.',
      },
    ])
  })
})

describe('another person', () => {
  it("when bob asks for alice's run in any form, then every answer is a 404 that says nothing about it", async () => {
    const bob = new Browser()
    await signIn(bob, stack.appUrl, { username: 'bob', password: 'bob-demo' })
    const url = `${stack.appUrl}/imports/${firstRunId}`

    const asked = await Promise.all([
      bob.request(url),
      bob.request(url, { headers: { accept: 'application/json' } }),
      bob.request(`${url}/events`, { headers: { accept: 'text/event-stream' } }),
      bob.request(`${url}/skipped.csv`),
      bob.request(`${stack.appUrl}/imports/not-a-uuid`),
    ])

    expect(asked.map((hop) => hop.status)).toEqual([404, 404, 404, 404, 404])
    for (const hop of asked) expect(hop.body).not.toContain('alice')
    expect(JSON.parse(asked[1]?.body ?? '')).toMatchObject({ error: { code: 'NOT_FOUND' } })
  })

  it("when bob posts alice's connection id to /import, then it is a 404 and no run starts", async () => {
    const bob = new Browser()
    await signIn(bob, stack.appUrl, { username: 'bob', password: 'bob-demo' })
    const before = (await runsOf(stack, personId)).length
    const hop = await bob.request(`${stack.appUrl}/import`, {
      form: { _csrf: await csrfOf(stack, bob), connection: connectionId },
    })

    expect(hop.status).toBe(404)
    expect((await runsOf(stack, personId)).length).toBe(before)
  })

  it('when /import is posted without the CSRF token, by GET, or naming two connections, then it is refused and no run starts', async () => {
    const before = (await runsOf(stack, personId)).length
    const forged = await alice.request(`${stack.appUrl}/import`, { form: { _csrf: 'forged' } })
    const get = await alice.request(`${stack.appUrl}/import`)
    const twoIds = await fetch(`${stack.appUrl}/import`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: await alice.jar.getCookieString(stack.appUrl),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `_csrf=${encodeURIComponent(await csrfOf(stack, alice))}&connection=${connectionId}&connection=${connectionId}`,
    })

    expect(forged.status).toBe(403)
    expect(get.status).toBe(405)
    expect(twoIds.status).toBe(400)
    expect((await runsOf(stack, personId)).length).toBe(before)
  })
})
