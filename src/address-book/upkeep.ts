// The table's upkeep after an import that changed a large part of it. A first import fills
// an empty table in seconds, and PostgreSQL knows nothing about the rows until autovacuum
// comes by (a minute later at best; never where it is switched off): the planner works
// from an empty table's statistics (a search then also walks the whole person's slice of
// the sort index, a BitmapAnd that cost 20 ms at 25,000 contacts), the trigram index holds
// its latest entries in an unsorted pending list that every search reads through, and the
// first reader of each new row pays to set its hint bits. So the import does, at its end,
// what autovacuum would: the same thresholds, measured on what this run changed, against
// the table's size as PostgreSQL last counted it. On a large shared table one person's
// import is a small share and nothing is done; on a young one it is most of the table.
import type { Queryable } from './contacts-store.ts'

/** autovacuum's defaults (autovacuum_analyze_*, autovacuum_vacuum_insert_*). */
const ANALYZE_THRESHOLD = 50
const ANALYZE_SCALE = 0.1
const VACUUM_THRESHOLD = 1000
const VACUUM_SCALE = 0.2

export type Upkeep = 'none' | 'analyzed' | 'vacuumed'

/**
 * `changed`: the rows the run inserted, rewrote or deleted. Runs outside any transaction
 * (VACUUM cannot run in one); SKIP_LOCKED leaves the table to another worker already at it.
 */
export async function upkeepAfterImport(db: Queryable, changed: number): Promise<Upkeep> {
  if (changed < ANALYZE_THRESHOLD) return 'none'
  const { rows } = await db.query<{ tuples: number }>(
    // -1 for a table never vacuumed nor analyzed.
    `SELECT greatest(reltuples, 0)::float AS tuples FROM pg_class
     WHERE oid = 'contacts'::regclass`,
  )
  const tuples = rows[0]?.tuples ?? 0
  if (changed > VACUUM_THRESHOLD + VACUUM_SCALE * tuples) {
    // Also cleans the trigram index's pending list into the index proper.
    // The search table (0006) and the cards' tables (0005) grow with it.
    await db.query(
      'VACUUM (ANALYZE, SKIP_LOCKED) contacts, contact_search, contact_keys, card_members',
    )
    return 'vacuumed'
  }
  if (changed > ANALYZE_THRESHOLD + ANALYZE_SCALE * tuples) {
    await db.query('ANALYZE (SKIP_LOCKED) contacts, contact_search, contact_keys, card_members')
    return 'analyzed'
  }
  return 'none'
}
