// The import's writes to the address book on real PostgreSQL: a page upserted in one
// statement with honest counts (an unchanged etag is neither counted nor rewritten),
// marking and sweeping for full runs, deletions, re-keyed records, and another person's
// book left alone by all of it.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createContactsStore } from '../../src/address-book/contacts-store.ts'
import { decodeRaw } from '../../src/address-book/raw-payload.ts'
import {
  addConnection,
  contact,
  createOwner,
  inTransaction,
  type Owner,
} from './support/address-book.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database?.drop())

const store = () => createContactsStore({ db: database.db, defaultPhoneRegion: 'GB' })
let alice: Owner
let bob: Owner
beforeEach(async () => {
  await database.db.query('DELETE FROM people')
  alice = await createOwner(database.db)
  bob = await createOwner(database.db)
})

const upsert = (owner: Owner, contacts: ReturnType<typeof contact>[], seenBy?: string) =>
  inTransaction(database.db, (tx) => store().upsert(tx, { ...owner, seenBy }, contacts))

interface StoredRow {
  external_id: string
  etag: string | null
  display_name: string
  data: { name: { display?: string }; emails: Array<{ address: string }> }
  raw: unknown
  seen_by: string | null
  person_id: string
  /** The transaction that wrote the row's current version: unchanged means not rewritten. */
  xmin: string
}

async function rows(owner: Owner): Promise<Map<string, StoredRow>> {
  const { rows } = await database.db.query<StoredRow>(
    `SELECT external_id, etag, display_name, data, raw, seen_by, person_id, xmin::text
     FROM contacts WHERE connection_id = $1`,
    [owner.connectionId],
  )
  // raw is packed (raw-payload.ts): read as the app reads it.
  return new Map(
    rows.map((row) => [row.external_id, { ...row, raw: decodeRaw(row.raw as Buffer | null) }]),
  )
}

const page = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => contact(`people/c${from + i}`))

describe('upsert', () => {
  it('when a page is new, then every record is created once, with its data apart from raw', async () => {
    const counts = await upsert(alice, page(0, 3))
    expect(counts).toEqual({ created: 3, updated: 0, unchanged: 0 })
    const stored = await rows(alice)
    expect([...stored.keys()].sort()).toEqual(['people/c0', 'people/c1', 'people/c2'])
    const row = stored.get('people/c1')
    expect(row?.person_id).toBe(alice.personId)
    expect(row?.display_name).toBe('Person people/c1')
    expect(row?.data.emails[0]?.address).toBe('peoplec1@example.org')
    expect(row?.data).not.toHaveProperty('raw')
    expect(row?.raw).toEqual({ resourceName: 'people/c1', source: 'test' })
  })

  it('when the same page comes again with the same etags, then all are unchanged and no row is rewritten', async () => {
    await upsert(alice, page(0, 3))
    const before = await rows(alice)
    // Same etag, other data: the provider says nothing changed, so nothing is rewritten.
    const again = page(0, 3).map((c) => ({ ...c, name: { ...c.name, display: 'Renamed' } }))
    expect(await upsert(alice, again)).toEqual({ created: 0, updated: 0, unchanged: 3 })
    const after = await rows(alice)
    for (const [id, row] of after) {
      expect(row.xmin).toBe(before.get(id)?.xmin)
      expect(row.display_name).toBe(`Person ${id}`)
    }
  })

  it('when an etag changed, then that record is updated with the new data and the others are not touched', async () => {
    await upsert(alice, page(0, 3))
    const before = await rows(alice)
    const next = page(0, 3)
    next[1] = contact('people/c1', { etag: 'etag-2', name: { display: 'Ada Lovelace' } })
    expect(await upsert(alice, next)).toEqual({ created: 0, updated: 1, unchanged: 2 })
    const after = await rows(alice)
    expect(after.get('people/c1')).toMatchObject({ etag: 'etag-2', display_name: 'Ada Lovelace' })
    expect(after.get('people/c0')?.xmin).toBe(before.get('people/c0')?.xmin)
  })

  it('when records come without etags, then the mapped data decides between unchanged and updated', async () => {
    const plain = (id: string, display: string) =>
      contact(id, { etag: undefined, name: { display } })
    expect(await upsert(alice, [plain('vcard/1', 'Ada'), plain('vcard/2', 'Bob')])).toEqual({
      created: 2,
      updated: 0,
      unchanged: 0,
    })
    expect(await upsert(alice, [plain('vcard/1', 'Ada'), plain('vcard/2', 'Robert')])).toEqual({
      created: 0,
      updated: 1,
      unchanged: 1,
    })
    expect((await rows(alice)).get('vcard/2')?.display_name).toBe('Robert')
  })

  it('when a page names one record twice, then it counts once and the last one is kept', async () => {
    const counts = await upsert(alice, [
      contact('people/c1', { name: { display: 'First' } }),
      contact('people/c2'),
      contact('people/c1', { etag: 'later', name: { display: 'Last' } }),
    ])
    expect(counts).toEqual({ created: 2, updated: 0, unchanged: 0 })
    expect((await rows(alice)).get('people/c1')?.display_name).toBe('Last')

    const again = await upsert(alice, [
      contact('people/c1', { etag: 'later' }),
      contact('people/c1', { etag: 'latest', name: { display: 'Latest' } }),
    ])
    expect(again).toEqual({ created: 0, updated: 1, unchanged: 0 })
  })

  it('when a page is empty, then nothing is counted', async () => {
    expect(await upsert(alice, [])).toEqual({ created: 0, updated: 0, unchanged: 0 })
  })

  it('when two people have a record of the same external id, then each keeps their own', async () => {
    await upsert(alice, [contact('people/c1', { name: { display: 'Alice’s' } })])
    expect(await upsert(bob, [contact('people/c1', { name: { display: 'Bob’s' } })])).toEqual({
      created: 1,
      updated: 0,
      unchanged: 0,
    })
    expect((await rows(alice)).get('people/c1')?.display_name).toBe('Alice’s')
    expect((await rows(bob)).get('people/c1')?.display_name).toBe('Bob’s')
  })

  it("when the connection is not the person's, then the upsert throws and writes nothing", async () => {
    await expect(
      inTransaction(database.db, (tx) =>
        store().upsert(
          tx,
          { personId: bob.personId, connectionId: alice.connectionId, seenBy: undefined },
          page(0, 2),
        ),
      ),
    ).rejects.toThrow(/not one of person/)
    expect((await rows(alice)).size).toBe(0)
  })

  it('when the transaction rolls back, then the page is not in the book', async () => {
    await expect(
      inTransaction(database.db, async (tx) => {
        await store().upsert(tx, { ...alice, seenBy: undefined }, page(0, 2))
        throw new Error('the cursor update failed')
      }),
    ).rejects.toThrow('the cursor update failed')
    expect((await rows(alice)).size).toBe(0)
  })

  it('when a record holds NUL, lone surrogates, emoji and quotes, then the page is stored anyway', async () => {
    const awkward = contact('people/c\u00001', {
      name: { display: 'Zoë \u0000"Ünïcødé" 😀 \ud800 ; , \\' },
      notes: [{ value: 'line\nbreak \\u0000 literally', contentType: 'text/plain' }],
      raw: { weird: 'a\u0000b', lone: '\udc00', 'key\u0000': 1 },
    })
    expect(await upsert(alice, [awkward])).toEqual({ created: 1, updated: 0, unchanged: 0 })
    const row = (await rows(alice)).get('people/c1')
    expect(row?.display_name).toBe('Zoë "Ünïcødé" 😀 \ufffd ; , \\')
    // The provider's record is kept exactly as sent: packed, it is bytes to PostgreSQL.
    expect(row?.raw).toEqual({ weird: 'a\u0000b', lone: '\udc00', 'key\u0000': 1 })
    expect(await store().get(alice.personId, (await idOf(alice, 'people/c1')) ?? '')).toMatchObject(
      { contact: { notes: [{ value: 'line\nbreak \\u0000 literally' }] } },
    )
    // The id a tombstone names is read the same way.
    expect(
      await inTransaction(database.db, (tx) =>
        store().remove(tx, alice.connectionId, ['people/c\u00001']),
      ),
    ).toBe(1)
  })
})

async function idOf(owner: Owner, externalId: string): Promise<string | undefined> {
  const { rows } = await database.db.query<{ id: string }>(
    'SELECT id FROM contacts WHERE connection_id = $1 AND external_id = $2',
    [owner.connectionId, externalId],
  )
  return rows[0]?.id
}

const sweep = (owner: Owner, run: string) =>
  inTransaction(database.db, (tx) => store().sweep(tx, owner.connectionId, run))

async function marks(): Promise<number> {
  const { rows } = await database.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM contact_marks',
  )
  return rows[0]?.n ?? 0
}

describe('mark and sweep', () => {
  it('when a full run ends, then the sweep removes exactly the records it did not see, changed or not', async () => {
    await upsert(alice, page(0, 5))
    await upsert(bob, page(0, 5))
    const run = randomUUID()
    // The run sees 0–2 (1 changed) and a new one; 3 and 4 were deleted at the provider.
    const seen = [...page(0, 3), contact('people/c9')]
    seen[1] = contact('people/c1', { etag: 'changed' })
    expect(await upsert(alice, seen, run)).toEqual({ created: 1, updated: 1, unchanged: 2 })

    expect(await sweep(alice, run)).toBe(2)
    expect([...(await rows(alice)).keys()].sort()).toEqual([
      'people/c0',
      'people/c1',
      'people/c2',
      'people/c9',
    ])
    expect((await rows(bob)).size).toBe(5)
    expect(await marks()).toBe(0)
  })

  it('when a full run meets unchanged records, then they are not rewritten to be marked', async () => {
    await upsert(alice, page(0, 3))
    const before = await rows(alice)
    const run = randomUUID()
    expect(await upsert(alice, page(0, 3), run)).toEqual({ created: 0, updated: 0, unchanged: 3 })
    // The same page again, as a resumed run does: still nothing rewritten, marked once.
    expect(await upsert(alice, page(0, 3), run)).toEqual({ created: 0, updated: 0, unchanged: 3 })
    const after = await rows(alice)
    for (const [id, row] of after) expect(row.xmin, id).toBe(before.get(id)?.xmin)
    expect(await marks()).toBe(3)
    expect(await sweep(alice, run)).toBe(0)
    expect((await rows(alice)).size).toBe(3)
  })

  it('when a full run wrote records, then they carry its id and need no mark', async () => {
    const run = randomUUID()
    await upsert(alice, page(0, 2), run)
    await upsert(alice, page(0, 2), run)
    expect([...(await rows(alice)).values()].map((row) => row.seen_by)).toEqual([run, run])
    expect(await marks()).toBe(0)
  })

  it('when a failed full run left marks, then the next run’s sweep does not count them as its own, and clears them', async () => {
    await upsert(alice, page(0, 3))
    const failed = randomUUID()
    await upsert(alice, page(0, 3), failed)
    const next = randomUUID()
    await upsert(alice, page(0, 1), next)
    expect(await sweep(alice, next)).toBe(2)
    expect([...(await rows(alice)).keys()]).toEqual(['people/c0'])
    expect(await marks()).toBe(0)
  })

  it('when an incremental run upserts without seenBy, then nothing is marked and the last full run’s stamps stay', async () => {
    const run = randomUUID()
    await upsert(alice, page(0, 2), run)
    await upsert(alice, [contact('people/c0', { etag: 'changed' }), contact('people/c5')])
    const after = await rows(alice)
    expect(after.get('people/c0')?.seen_by).toBe(run)
    expect(after.get('people/c5')?.seen_by).toBeNull()
    expect(await marks()).toBe(0)
  })
})

describe('remove, relink, removeAll', () => {
  it('when tombstones name records, then those of that connection go and the count says how many were there', async () => {
    await upsert(alice, page(0, 3))
    await upsert(bob, page(0, 3))
    const removed = await inTransaction(database.db, (tx) =>
      store().remove(tx, alice.connectionId, [
        'people/c0',
        'people/c2',
        'people/c2',
        'people/gone',
      ]),
    )
    expect(removed).toBe(2)
    expect([...(await rows(alice)).keys()]).toEqual(['people/c1'])
    expect((await rows(bob)).size).toBe(3)
    expect(
      await inTransaction(database.db, (tx) => store().remove(tx, alice.connectionId, [])),
    ).toBe(0)
  })

  it('when a record moved to a new external id, then it is re-keyed in place, and an upsert under the new id updates it', async () => {
    await upsert(alice, page(0, 2))
    const id = await idOf(alice, 'people/c0')
    await inTransaction(database.db, (tx) =>
      store().relink(tx, alice.connectionId, [{ from: 'people/c0', to: 'people/new0' }]),
    )
    expect(await idOf(alice, 'people/new0')).toBe(id)
    expect(await idOf(alice, 'people/c0')).toBeUndefined()
    const counts = await upsert(alice, [contact('people/new0', { etag: 'moved' })])
    expect(counts).toEqual({ created: 0, updated: 1, unchanged: 0 })
    expect((await rows(alice)).size).toBe(2)
  })

  it('when several records merged into one, or the new id is already stored, then one record is left, never a duplicate', async () => {
    await upsert(alice, page(0, 4))
    await inTransaction(database.db, (tx) =>
      store().relink(tx, alice.connectionId, [
        { from: 'people/c0', to: 'people/merged' },
        { from: 'people/c1', to: 'people/merged' },
        // c3 is stored already: c2 was its old name.
        { from: 'people/c2', to: 'people/c3' },
        { from: 'people/unknown', to: 'people/other' },
      ]),
    )
    expect([...(await rows(alice)).keys()].sort()).toEqual(['people/c3', 'people/merged'])
  })

  it("when a person's data is deleted, then all their contacts and marks go and nobody else's", async () => {
    await upsert(alice, page(0, 3))
    await upsert(bob, page(0, 2))
    await upsert(alice, page(0, 3), randomUUID())
    await upsert(bob, page(0, 2), randomUUID())
    const removed = await inTransaction(database.db, (tx) => store().removeAll(tx, alice.personId))
    expect(removed).toBe(3)
    expect((await rows(alice)).size).toBe(0)
    expect((await rows(bob)).size).toBe(2)
    expect(await marks()).toBe(2)
  })
})

describe('the numbers of contacts the database keeps (migration 0003)', () => {
  /** What the pages show, against what a count of the rows says. */
  async function expectTrueCounts(...owners: Owner[]) {
    for (const owner of owners) {
      const { rows: held } = await database.db.query<{ connection_id: string; n: number }>(
        `SELECT connection_id, count(*)::int AS n FROM contacts WHERE person_id = $1
         GROUP BY connection_id`,
        [owner.personId],
      )
      const truth = new Map(held.map((row) => [row.connection_id, row.n]))
      expect(await store().countByConnection(owner.personId)).toEqual(truth)
      expect(await store().count(owner.personId)).toBe(held.reduce((sum, row) => sum + row.n, 0))
      // What a search reads (migration 0006): one row per contact, none left behind.
      const { rows: astray } = await database.db.query(
        `SELECT c.id, s.contact_id FROM (SELECT id FROM contacts WHERE person_id = $1) c
         FULL JOIN (SELECT contact_id FROM contact_search WHERE person_id = $1) s
           ON s.contact_id = c.id
         WHERE c.id IS NULL OR s.contact_id IS NULL`,
        [owner.personId],
      )
      expect(astray).toEqual([])
    }
  }

  it('when pages are created, updated, repeated, removed, relinked, swept and rolled back, then the numbers stay true', async () => {
    const run = randomUUID()
    await upsert(alice, page(0, 5), run)
    await upsert(bob, page(0, 2))
    await expectTrueCounts(alice, bob)
    // Updates, a duplicate within a page and unchanged records add nothing.
    await upsert(alice, [
      contact('people/c0', { etag: 'new' }),
      ...page(0, 5),
      contact('people/c5'),
    ])
    await expectTrueCounts(alice, bob)
    await inTransaction(database.db, (tx) =>
      store().remove(tx, alice.connectionId, ['people/c1', 'people/c1', 'people/none']),
    )
    await expectTrueCounts(alice, bob)
    // A merge: two records become one.
    await inTransaction(database.db, (tx) =>
      store().relink(tx, alice.connectionId, [
        { from: 'people/c2', to: 'people/m' },
        { from: 'people/c3', to: 'people/m' },
      ]),
    )
    await expectTrueCounts(alice, bob)
    await expect(
      inTransaction(database.db, async (tx) => {
        await store().upsert(tx, { ...alice, seenBy: undefined }, page(100, 3))
        throw new Error('the cursor update failed')
      }),
    ).rejects.toThrow()
    await expectTrueCounts(alice, bob)
    await sweep(alice, randomUUID())
    await expectTrueCounts(alice, bob)
    expect(await store().count(alice.personId)).toBe(0)
  })

  it('when a second connection, a deleted connection and deleted data change the book, then the numbers stay true', async () => {
    const second = {
      personId: alice.personId,
      connectionId: await addConnection(database.db, alice.personId),
    }
    await upsert(alice, page(0, 4))
    await upsert(second, page(0, 3))
    await upsert(bob, page(0, 2))
    await expectTrueCounts(alice, bob)
    expect(await store().count(alice.personId)).toBe(7)
    await database.db.query('DELETE FROM connections WHERE id = $1', [second.connectionId])
    await expectTrueCounts(alice, bob)
    expect(await store().count(alice.personId)).toBe(4)
    await inTransaction(database.db, (tx) => store().removeAll(tx, alice.personId))
    await expectTrueCounts(alice, bob)
    await database.db.query('DELETE FROM people WHERE id = $1', [bob.personId])
    expect(await store().count(bob.personId)).toBe(0)
    await expectTrueCounts(bob)
  })

  it('when two writers insert the same new page at once (a stalled worker), then each record counts once', async () => {
    const first = await database.db.pool.connect()
    const second = await database.db.pool.connect()
    try {
      await first.query('BEGIN')
      await second.query('BEGIN')
      await store().upsert(first, { ...alice, seenBy: undefined }, page(0, 3))
      // The second one's INSERT waits on the first's rows, then updates them instead.
      const racing = store().upsert(second, { ...alice, seenBy: undefined }, page(0, 3))
      await new Promise((resolve) => setTimeout(resolve, 100))
      await first.query('COMMIT')
      await racing
      await second.query('COMMIT')
    } finally {
      first.release()
      second.release()
    }
    await expectTrueCounts(alice)
    expect(await store().count(alice.personId)).toBe(3)
  })
})
