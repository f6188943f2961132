// What the pages read of the address book. Every query names the person first
// (`person_id = $1`), so no read can reach another person's rows, and each one walks the
// (person_id, sort_key, id) index: the list is keyset paged (no OFFSET, so a late page
// costs what the first does), the export reads batch after batch the same way, and a
// search reads its matches from contact_search (migration 0006), whose trigram index
// answers LIKE over the search text.
import type { CountryCode } from 'libphonenumber-js/max'
import type { Database } from '../db/database.ts'
import type { ContactListPage, ContactSummary, StoredContact } from './contacts-store.ts'
import { decodeCursor, encodeCursor, isUuid, type ListPosition } from './list-cursor.ts'
import { searchPatterns } from './normalize.ts'
import { decodeRaw } from './raw-payload.ts'
import { fromStoredData, type StoredData } from './stored-data.ts'

type Db = Pick<Database, 'query'>

export interface ContactReads {
  list(
    personId: string,
    options: { q?: string; after?: string; limit: number },
  ): Promise<ContactListPage>
  count(personId: string, q?: string): Promise<number>
  countByConnection(personId: string): Promise<Map<string, number>>
  get(personId: string, id: string): Promise<StoredContact | undefined>
  stream(
    personId: string,
    batchSize?: number,
    options?: { connectionId?: string },
  ): AsyncGenerator<StoredContact[], void>
}

/** A page of the list holds at most this many rows, whatever the caller asks for. */
export const MAX_LIST_LIMIT = 1000
const DEFAULT_BATCH_SIZE = 500

export interface SummaryRow {
  id: string
  connection_id: string
  display_name: string
  sort_key: string
  email: string | null
  phone: string | null
  organization: string | null
}

interface ListRow extends SummaryRow {
  total: number
}

export interface FullRow {
  id: string
  connection_id: string
  provider: string
  external_id: string
  etag: string | null
  display_name: string
  sort_key: string
  data: StoredData
  raw: Buffer | null
  created_at: Date
  updated_at: Date
}

// Lists hold the provider's primary item first (contacts/contact.ts): item 0 is the one.
export const SUMMARY_COLUMNS = `c.id, c.connection_id, c.display_name, c.sort_key,
  c.data->'emails'->0->>'address' AS email, c.data->'phones'->0->>'value' AS phone,
  c.data->'organizations'->0->>'name' AS organization`

export const FULL_COLUMNS = `c.id, c.connection_id, conn.provider, c.external_id, c.etag,
  c.display_name, c.sort_key, c.data, c.raw, c.created_at, c.updated_at`

export const toSummary = (row: SummaryRow): ContactSummary => ({
  id: row.id,
  connectionId: row.connection_id,
  displayName: row.display_name,
  email: row.email ?? undefined,
  phone: row.phone ?? undefined,
  organization: row.organization ?? undefined,
})

export const toStored = (row: FullRow): StoredContact => ({
  id: row.id,
  connectionId: row.connection_id,
  provider: row.provider,
  externalId: row.external_id,
  etag: row.etag ?? undefined,
  displayName: row.display_name,
  contact: fromStoredData(row, decodeRaw(row.raw)),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

/** The WHERE of a person's list, after a position; $1 is the person. */
function filter(
  values: unknown[],
  options: { after: ListPosition | undefined; alias?: string },
): string {
  const col = (name: string) => (options.alias ? `${options.alias}.${name}` : name)
  const parts = [`${col('person_id')} = $1`]
  if (options.after) {
    values.push(options.after.sortKey, options.after.id)
    parts.push(
      `(${col('sort_key')}, ${col('id')}) > ($${values.length - 1}::text COLLATE "C", $${values.length}::uuid)`,
    )
  }
  return parts.join(' AND ')
}

/**
 * The WHERE of a person's matches in contact_search (migration 0006), aliased `s`; $1 is
 * the person. One LIKE per pattern, ORed: each is a trigram index scan of its own
 * (BitmapOr). LIKE, not ILIKE: search_text and the patterns are folded alike
 * (normalize.ts), lower case included, so a byte-wise match is enough. ILIKE lowercased
 * every row it looked at again, which made a search's recheck 3 to 7 times slower.
 */
export function matching(values: unknown[], patterns: readonly string[]): string {
  const any = patterns.map((pattern) => `s.search_text LIKE $${values.push(pattern)}`)
  return `s.person_id = $1 AND (${any.join(' OR ')})`
}

/**
 * A search's page and its number of matches, from one pass over the matches: the trigram
 * index finds them (a bitmap scan, whatever their place in the order), they are counted,
 * and only the page's rows are sorted out of them and read in full. Walking the sort index
 * and filtering instead — the plan PostgreSQL picks for ORDER BY … LIMIT, reckoning that
 * matches are spread evenly through the alphabet — reads the book up to the page's last
 * match: names cluster, so "mar" read 6,900 rows of 25,000 for a first page, and a search
 * with fewer matches than a page read the whole book.
 */
function searchQuery(
  values: unknown[],
  patterns: readonly string[],
  after: ListPosition | undefined,
  limit: number,
): string {
  const where = matching(values, patterns)
  const position = after
    ? `WHERE (sort_key, id) > ($${values.push(after.sortKey)}::text COLLATE "C", $${values.push(after.id)}::uuid)`
    : ''
  return `WITH matches AS MATERIALIZED (
      SELECT s.contact_id AS id, s.sort_key FROM contact_search s WHERE ${where}),
    page AS (SELECT id, sort_key FROM matches ${position} ORDER BY sort_key, id LIMIT $${values.push(limit)})
  SELECT ${SUMMARY_COLUMNS}, (SELECT count(*) FROM matches)::int AS total
  FROM page JOIN contacts c ON c.id = page.id AND c.person_id = $1
  ORDER BY page.sort_key, page.id`
}

export function createContactReads(deps: {
  db: Db
  defaultPhoneRegion: CountryCode | undefined
}): ContactReads {
  const { db, defaultPhoneRegion } = deps
  const patternsOf = (q: string | undefined) => (q ? searchPatterns(q, defaultPhoneRegion) : [])

  async function count(personId: string, q?: string): Promise<number> {
    const patterns = patternsOf(q)
    if (patterns.length === 0) {
      // The whole book: the counts the database keeps per connection (migration 0003).
      const { rows } = await db.query<{ count: number }>(
        'SELECT COALESCE(sum(contacts), 0)::int AS count FROM contact_counts WHERE person_id = $1',
        [personId],
      )
      return rows[0]?.count ?? 0
    }
    const values: unknown[] = [personId]
    const { rows } = await db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM contact_search s WHERE ${matching(values, patterns)}`,
      values,
    )
    return rows[0]?.count ?? 0
  }

  return {
    async list(personId, options) {
      // Decoded before any query, so a bad cursor is a 400 however the rest goes.
      const after = options.after ? decodeCursor(options.after) : undefined
      const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.trunc(options.limit) || 1))
      const patterns = patternsOf(options.q)
      const values: unknown[] = [personId]
      const { rows } =
        patterns.length === 0
          ? await db.query<ListRow>(
              // The book in order from the sort index, and its number from the counts the
              // database keeps (migration 0003): nothing is counted.
              `SELECT ${SUMMARY_COLUMNS}, (SELECT COALESCE(sum(contacts), 0) FROM contact_counts
                 WHERE person_id = $1)::int AS total
               FROM contacts c WHERE ${filter(values, { after, alias: 'c' })}
               ORDER BY c.sort_key, c.id LIMIT $${values.push(limit + 1)}`,
              values,
            )
          : await db.query<ListRow>(searchQuery(values, patterns, after, limit + 1), values)
      const shown = rows.slice(0, limit)
      const last = shown.at(-1)
      // A page past the end has no row to carry the number: only then is it asked again.
      const total = rows[0]?.total ?? (await count(personId, options.q))
      return {
        contacts: shown.map(toSummary),
        next:
          rows.length > limit && last
            ? encodeCursor({ sortKey: last.sort_key, id: last.id })
            : undefined,
        count: total,
      }
    },

    count,

    async countByConnection(personId) {
      const { rows } = await db.query<{ connection_id: string; count: number }>(
        `SELECT connection_id, contacts AS count FROM contact_counts
         WHERE person_id = $1 AND contacts > 0`,
        [personId],
      )
      return new Map(rows.map((row) => [row.connection_id, row.count]))
    },

    async get(personId, id) {
      if (!isUuid(id)) return undefined
      const { rows } = await db.query<FullRow>(
        `SELECT ${FULL_COLUMNS} FROM contacts c JOIN connections conn ON conn.id = c.connection_id
         WHERE c.person_id = $1 AND c.id = $2`,
        [personId, id],
      )
      return rows[0] ? toStored(rows[0]) : undefined
    },

    async *stream(personId, batchSize = DEFAULT_BATCH_SIZE, options = {}) {
      // A keyset loop rather than a server-side cursor: between two batches nothing is
      // held — no pooled connection, no open transaction — however slowly the download
      // is read. A contact renamed during the export may be met twice or not at all;
      // every other one comes exactly once, in list order.
      const size = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.trunc(batchSize) || 1))
      let after: ListPosition | undefined
      for (;;) {
        const values: unknown[] = [personId]
        let where = filter(values, { after, alias: 'c' })
        // One source's contacts only (an export per source); the person is still first.
        if (options.connectionId)
          where += ` AND c.connection_id = $${values.push(options.connectionId)}`
        values.push(size)
        const { rows } = await db.query<FullRow>(
          `SELECT ${FULL_COLUMNS} FROM contacts c JOIN connections conn ON conn.id = c.connection_id
           WHERE ${where} ORDER BY c.sort_key, c.id LIMIT $${values.length}`,
          values,
        )
        if (rows.length > 0) yield rows.map(toStored)
        const last = rows.at(-1)
        if (!last || rows.length < size) return
        after = { sortKey: last.sort_key, id: last.id }
      }
    },
  }
}
