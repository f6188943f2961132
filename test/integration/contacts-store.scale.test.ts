// The address book at the size Google allows (25,000 contacts of realistic data): a search
// is answered by the trigram index and a later page by the sort index, never by reading
// the whole book; counts agree with what the data holds; and the provider's raw records are
// stored packed (raw-payload.ts). The figures themselves (throughput, bytes a contact) are
// bench/contacts-store.ts's and bench/import.ts's.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ContactsStore, createContactsStore } from '../../src/address-book/contacts-store.ts'
import { searchText } from '../../src/address-book/normalize.ts'
import { decodeRaw } from '../../src/address-book/raw-payload.ts'
import { displayName } from '../../src/contacts/contact.ts'
import type { Database } from '../../src/db/database.ts'
import {
  contact,
  createOwner,
  demoContacts,
  inTransaction,
  type Owner,
} from './support/address-book.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'

const COUNT = 25_000
const contacts = demoContacts(COUNT)

let database: TestDatabase
let store: ContactsStore
let carol: Owner
let dave: Owner

beforeAll(async () => {
  database = await createTestDatabase()
  store = createContactsStore({ db: database.db, defaultPhoneRegion: 'GB' })
  carol = await createOwner(database.db)
  dave = await createOwner(database.db)
  const seenBy = randomUUID()
  for (let start = 0; start < COUNT; start += 1000) {
    await inTransaction(database.db, (tx) =>
      store.upsert(tx, { ...carol, seenBy }, contacts.slice(start, start + 1000)),
    )
  }
  await inTransaction(database.db, (tx) =>
    store.upsert(tx, { ...dave, seenBy }, [
      contact('people/d1', { name: { display: 'Ada Lovelace' } }),
    ]),
  )
  await database.db.query('ANALYZE contacts')
}, 180_000)
afterAll(() => database?.drop())

/** The store on a connection that answers every query with its plan instead. */
function explaining(): { store: ContactsStore; plans: string[] } {
  const plans: string[] = []
  const db: Pick<Database, 'query' | 'pool'> = {
    pool: database.db.pool,
    query: (async (text: string, values?: unknown[]) => {
      const { rows } = await database.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)
      plans.push(rows.map((row) => row['QUERY PLAN']).join('\n'))
      return { rows: [], rowCount: 0 }
    }) as unknown as Database['query'],
  }
  return { store: createContactsStore({ db, defaultPhoneRegion: 'GB' }), plans }
}

/** What the data says a search must find: the same folding, matched in JS. */
function expectedMatches(needle: string): number {
  return contacts.filter((c) => searchText(c, displayName(c)).includes(needle)).length
}

describe('at 25,000 contacts', () => {
  it('when searching a name, then the trigram index answers, and the count is what the data holds', async () => {
    const { store: explain, plans } = explaining()
    await explain.count(carol.personId, 'Lovelace')
    await explain.list(carol.personId, { q: 'Lovelace', limit: 50 })
    for (const plan of plans) expect(plan).toContain('Bitmap Index Scan on contact_search_trgm')

    const expected = expectedMatches('lovelace')
    expect(expected).toBeGreaterThan(50)
    expect(await store.count(carol.personId, 'Lovelace')).toBe(expected)
    const page = await store.list(carol.personId, { q: 'Lovelace', limit: 50 })
    expect(page.contacts).toHaveLength(50)
    expect(page.contacts.every((c) => c.connectionId === carol.connectionId)).toBe(true)
  })

  it('when a search matches names that cluster in the alphabet, then its page comes from the matches, not from walking the book in order', async () => {
    // "mar" is in Maria, Marc, Martin…: many of them, all in one stretch of the order.
    const { store: explain, plans } = explaining()
    await explain.list(carol.personId, { q: 'mar', limit: 50 })
    expect(plans[0]).toContain('Bitmap Index Scan on contact_search_trgm')
    expect(plans[0]).not.toContain('contacts_person_sort')
    const expected = expectedMatches('mar')
    expect(expected).toBeGreaterThan(100)
    const first = await store.list(carol.personId, { q: 'mar', limit: 50 })
    expect(first.count).toBe(expected)
    const second = await store.list(carol.personId, { q: 'mar', after: first.next, limit: 50 })
    expect(second.count).toBe(expected)
    expect(second.contacts).toHaveLength(50)
    const ids = new Set([...first.contacts, ...second.contacts].map((c) => c.id))
    expect(ids.size).toBe(100)
  })

  it('when searching a phone number in another format, then the index answers every form at once', async () => {
    const withPhone = contacts.find((c) => c.phones[0]?.e164?.startsWith('+44'))
    const e164 = withPhone?.phones[0]?.e164 ?? ''
    const national = `0${e164.slice(3)}`
    const { store: explain, plans } = explaining()
    await explain.count(carol.personId, national)
    expect(plans[0]).toContain('BitmapOr')
    expect(plans[0]).toContain('Bitmap Index Scan on contact_search_trgm')
    expect(await store.count(carol.personId, national)).toBeGreaterThanOrEqual(1)
    const found = await store.list(carol.personId, { q: national, limit: 50 })
    const ids = await Promise.all(found.contacts.map((c) => store.get(carol.personId, c.id)))
    expect(ids.map((c) => c?.externalId)).toContain(withPhone?.externalId)
  })

  it('when a later page is read, then the sort index starts at the cursor: no OFFSET, no sort', async () => {
    let page = await store.list(carol.personId, { limit: 100 })
    for (let i = 0; i < 20 && page.next; i++) {
      page = await store.list(carol.personId, { after: page.next, limit: 100 })
    }
    const { store: explain, plans } = explaining()
    await explain.list(carol.personId, { after: page.next, limit: 100 })
    expect(plans[0]).toMatch(/Index Scan using contacts_person_sort/)
    expect(plans[0]).toMatch(/Index Cond: .*ROW\(sort_key, id\) >/)
    expect(plans[0]).not.toMatch(/Sort|Offset/)
  })

  it('when the book is counted and streamed, then all of it comes, and the other person’s contact never', async () => {
    expect(await store.count(carol.personId)).toBe(COUNT)
    expect(await store.count(dave.personId)).toBe(1)
    let streamed = 0
    for await (const batch of store.stream(carol.personId, 1000)) {
      streamed += batch.length
      expect(batch.some((c) => c.connectionId !== carol.connectionId)).toBe(false)
    }
    expect(streamed).toBe(COUNT)
  })

  it('when the book is stored, then each raw record takes a fraction of its JSON, and reads back exactly as the provider sent it', async () => {
    const { rows } = await database.db.query<{ external_id: string; raw: Buffer; stored: number }>(
      `SELECT external_id, raw, pg_column_size(raw) AS stored FROM contacts WHERE person_id = $1`,
      [carol.personId],
    )
    expect(rows).toHaveLength(COUNT)
    const sent = new Map(contacts.map((c) => [c.externalId, c.raw]))
    let json = 0
    let stored = 0
    for (const row of rows) {
      const raw = sent.get(row.external_id)
      expect(decodeRaw(row.raw)).toEqual(raw)
      json += Buffer.byteLength(JSON.stringify(raw))
      stored += row.stored
    }
    // lz4 left a third of these rows uncompressed (too short to be toasted) and took the
    // others to about 60 %: 890 of 1,500 bytes on average.
    expect(stored / json).toBeLessThan(0.3)
  })
})
