// The contacts table's upkeep at the end of an import (address-book/upkeep.ts): a run that
// changed a large share of the table leaves it vacuumed and analyzed, as autovacuum would
// later; a run that changed a small share leaves it to autovacuum.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContactsStore } from '../../src/address-book/contacts-store.ts'
import { upkeepAfterImport } from '../../src/address-book/upkeep.ts'
import { contact, createOwner, inTransaction, type Owner } from './support/address-book.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'

let database: TestDatabase
let alice: Owner
beforeAll(async () => {
  database = await createTestDatabase()
  alice = await createOwner(database.db)
})
afterAll(() => database?.drop())

const store = () => createContactsStore({ db: database.db, defaultPhoneRegion: 'GB' })
const page = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => contact(`people/u${from + i}`))

/** The table's size as the planner knows it: set by VACUUM and ANALYZE only. */
async function plannedRows(): Promise<number> {
  const { rows } = await database.db.query<{ tuples: number }>(
    `SELECT reltuples::float AS tuples FROM pg_class WHERE oid = 'contacts'::regclass`,
  )
  return rows[0]?.tuples ?? Number.NaN
}

describe('upkeep after an import', () => {
  it('when a run filled a young table, then it is vacuumed and the planner knows its rows; a small later run leaves it be', async () => {
    await inTransaction(database.db, (tx) =>
      store().upsert(tx, { ...alice, seenBy: undefined }, page(0, 1500)),
    )
    expect(await upkeepAfterImport(database.db.pool, 1500)).toBe('vacuumed')
    expect(await plannedRows()).toBe(1500)

    // A tenth of the table and more: statistics again, no vacuum.
    await inTransaction(database.db, (tx) =>
      store().upsert(tx, { ...alice, seenBy: undefined }, page(1500, 300)),
    )
    expect(await upkeepAfterImport(database.db.pool, 300)).toBe('analyzed')
    expect(await plannedRows()).toBe(1800)

    expect(await upkeepAfterImport(database.db.pool, 100)).toBe('none')
    expect(await upkeepAfterImport(database.db.pool, 0)).toBe('none')
  })
})
