// "Delete my imported data" against the real stack: a confirmation page, a POST that needs
// the CSRF token, and one transaction that removes the person's contacts, import runs (with
// their skipped records) and sync cursors — and nothing of anybody else's. The connections
// stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contact } from './support/address-book.ts'
import { Browser, formValue } from './support/browser.ts'
import { eventually, personOf, startImport, waitForRun } from './support/imports.ts'
import { signIn } from './support/login.ts'
import { type BookOwner, seedBook } from './support/seed-book.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
let alice: Browser
let bob: Browser
let aliceBook: BookOwner
let bobBook: BookOwner
/** What each holds before anything is deleted (each sign-in also queued a first import). */
let aliceBefore: Holdings
let bobBefore: Holdings

/** A finished run with a skipped record, and a sync cursor on the connection. */
async function importHistory(owner: BookOwner) {
  const { rows } = await stack.database.db.query<{ id: string }>(
    `INSERT INTO imports (person_id, connection_id, kind, state, created, finished_at)
     VALUES ($1, $2, 'full', 'completed', 3, now()) RETURNING id`,
    [owner.personId, owner.connectionId],
  )
  await stack.database.db.query(
    `INSERT INTO import_skips (import_id, position, external_id, reason) VALUES ($1, 0, 'people/x', 'no usable field')`,
    [rows[0]?.id],
  )
  await stack.database.db.query(
    `UPDATE connections SET import_state = '{"syncToken":"abc"}' WHERE id = $1`,
    [owner.connectionId],
  )
  // A full run half way: its mark on a contact it met unchanged.
  await stack.database.db.query(
    `INSERT INTO contact_marks (connection_id, run_id, contact_id)
     SELECT connection_id, $2, id FROM contacts WHERE connection_id = $1 LIMIT 1`,
    [owner.connectionId, rows[0]?.id],
  )
}

interface Holdings {
  contacts: number | undefined
  imports: number | undefined
  skips: number | undefined
  cursors: number | undefined
  connections: number | undefined
  marks: number | undefined
  searchRows: number | undefined
}

async function holdings(owner: BookOwner): Promise<Holdings> {
  const one = async (sql: string) =>
    (await stack.database.db.query<{ n: number }>(sql, [owner.personId])).rows[0]?.n
  return {
    contacts: await one('SELECT count(*)::int AS n FROM contacts WHERE person_id = $1'),
    imports: await one('SELECT count(*)::int AS n FROM imports WHERE person_id = $1'),
    skips: await one(
      'SELECT count(*)::int AS n FROM import_skips s JOIN imports i ON i.id = s.import_id WHERE i.person_id = $1',
    ),
    cursors: await one(
      `SELECT count(*)::int AS n FROM connections WHERE person_id = $1 AND import_state <> '{}'`,
    ),
    connections: await one('SELECT count(*)::int AS n FROM connections WHERE person_id = $1'),
    marks: await one(
      'SELECT count(*)::int AS n FROM contact_marks m JOIN connections c ON c.id = m.connection_id WHERE c.person_id = $1',
    ),
    // What a search reads of them (migration 0006).
    searchRows: await one('SELECT count(*)::int AS n FROM contact_search WHERE person_id = $1'),
  }
}

beforeAll(async () => {
  stack = await startStack()
  alice = new Browser()
  bob = new Browser()
  await signIn(alice, stack.appUrl, { username: 'alice', password: 'alice-demo' })
  await signIn(bob, stack.appUrl, { username: 'bob', password: 'bob-demo' })
  aliceBook = await seedBook(
    stack,
    alice,
    Array.from({ length: 3 }, (_, i) => contact(`people/a${i}`)),
  )
  bobBook = await seedBook(stack, bob, [contact('people/b1', { name: { display: 'Bob Keeps' } })])
  await importHistory(aliceBook)
  await importHistory(bobBook)
  aliceBefore = await holdings(aliceBook)
  bobBefore = await holdings(bobBook)
  expect(aliceBefore).toMatchObject({
    contacts: 3,
    skips: 1,
    cursors: 1,
    connections: 1,
    marks: 1,
    searchRows: 3,
  })
  expect(aliceBefore.imports).toBeGreaterThanOrEqual(1)
})
afterAll(() => stack?.close())

describe('delete my imported data', () => {
  it('when alice opens the confirmation page, then it says what goes and what stays, and nothing is deleted yet', async () => {
    const page = await alice.request(`${stack.appUrl}/contacts/delete`)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.body).toContain('all 3 contacts')
    expect(page.body).toContain('Your connections stay')
    expect(page.body).toContain('Demo Provider: alice@demo.example')
    expect(formValue(page.body, '_csrf')).toMatch(/^[\w-]{43}$/)
    expect(await holdings(aliceBook)).toEqual(aliceBefore)
  })

  it('when the POST comes without the CSRF token, or with another session’s, then it is a 403 and nothing is deleted', async () => {
    const bare = await alice.request(`${stack.appUrl}/contacts/delete`, { form: {} })
    expect(bare.status).toBe(403)
    const bobsToken = formValue(
      (await bob.request(`${stack.appUrl}/contacts/delete`)).body,
      '_csrf',
    )
    const forged = await alice.request(`${stack.appUrl}/contacts/delete`, {
      form: { _csrf: bobsToken ?? '' },
    })
    expect(forged.status).toBe(403)
    expect(forged.body).toContain('Form expired')
    expect(await holdings(aliceBook)).toEqual(aliceBefore)
  })

  it('when a link or another method asks for it, then nothing is deleted', async () => {
    for (const method of ['PUT', 'DELETE']) {
      const hop = await alice.request(`${stack.appUrl}/contacts/delete`, { method })
      expect(hop.status, method).toBe(405)
    }
    expect(await holdings(aliceBook)).toEqual(aliceBefore)
  })

  it('when nobody is signed in, then the POST is refused', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/contacts/delete`, {
      form: { _csrf: 'x' },
    })
    expect(hop.status).toBe(401)
  })

  it('when alice confirms, then her contacts, runs, skipped records and sync cursors are gone, her connection stays, she lands on /contacts with the notice — and bob keeps everything', async () => {
    const confirm = await alice.request(`${stack.appUrl}/contacts/delete`)
    const hop = await alice.request(`${stack.appUrl}/contacts/delete`, {
      form: { _csrf: formValue(confirm.body, '_csrf') ?? '' },
    })

    expect(hop.status).toBe(303)
    expect(hop.location).toBe(`${stack.appUrl}/contacts?notice=deleted`)
    expect(await holdings(aliceBook)).toEqual({
      contacts: 0,
      imports: 0,
      skips: 0,
      cursors: 0,
      connections: 1,
      marks: 0,
      searchRows: 0,
    })
    expect(await holdings(bobBook)).toEqual(bobBefore)

    const page = await alice.request(hop.location ?? '')
    expect(page.status).toBe(200)
    expect(page.body).toContain('Your imported data was deleted')
    expect(page.body).toContain('No contacts yet — import from Demo Provider.')
    // Still signed in, still connected.
    expect(page.body).toContain('action="/import"')
    expect((await bob.request(`${stack.appUrl}/contacts`)).body).toContain('Bob Keeps')
  })

  it('when the notice parameter is anything but ours, then no text from the URL is shown', async () => {
    const page = await alice.request(`${stack.appUrl}/contacts?notice=%3Cb%3Eyou+were+hacked`)
    expect(page.status).toBe(200)
    expect(page.body).not.toContain('hacked')
  })
})

describe('deleting while an import is under way', () => {
  let live: TestStack
  beforeAll(async () => {
    // A worker in the app, and pages slow enough to delete between two of them.
    live = await startStack({ workers: [0], contacts: { pageLatencyMs: 500 } })
  })
  afterAll(() => live?.close())

  const count = async (sql: string, personId: string) =>
    (await live.database.db.query<{ n: number }>(sql, [personId])).rows[0]?.n

  it('when carol deletes her data after the first page of her first import was written, then the run stops, nothing comes back, and a new import brings everything', async () => {
    const carol = new Browser()
    await signIn(carol, live.appUrl, { username: 'carol', password: 'carol-demo' })
    const personId = await personOf(live, carol)
    const contactsOf = () =>
      count('SELECT count(*)::int AS n FROM contacts WHERE person_id = $1', personId)
    // Her first sign-in queued the import; the worker writes page after page.
    await eventually(
      async () => (((await contactsOf()) ?? 0) > 0 ? true : undefined),
      'a first page',
    )

    const confirm = await carol.request(`${live.appUrl}/contacts/delete`)
    const hop = await carol.request(`${live.appUrl}/contacts/delete`, {
      form: { _csrf: formValue(confirm.body, '_csrf') ?? '' },
    })
    expect(hop.status).toBe(303)

    // The worker finds its run gone at its next page and ends the job without writing it.
    await eventually(
      async () => (live.logs.some((l) => l.includes('"import run gone')) ? true : undefined),
      'the worker to give the run up',
    )
    expect(await contactsOf()).toBe(0)
    expect(
      await count('SELECT count(*)::int AS n FROM imports WHERE person_id = $1', personId),
    ).toBe(0)

    const runId = await startImport(live, carol)
    const run = await waitForRun(live, personId, runId)
    expect(run).toMatchObject({ state: 'completed', kind: 'full' })
    expect(run.counts.created).toBe(2987)
    expect(await contactsOf()).toBe(2987)
  })
})
