// The import's writes to the address book, each one statement inside the caller's
// transaction (a page's rows commit with the run's cursor). A page is upserted in one
// statement whose parts see one snapshot: the rows the page names that exist already are
// compared with what arrived (the provider's etag, else the mapped data), rewritten only
// when they changed, and otherwise merely marked as seen by the full run; the rest are
// inserted. Nothing that did not change is rewritten, so a re-import of an unchanged book
// costs index lookups (and a full run's small marks), not a copy of the book.
import { type Contact, displayName } from '../contacts/contact.ts'
import type { Queryable, UpsertCounts } from './contacts-store.ts'
import { jsonParam } from './json-param.ts'
import { searchText, sortKey } from './normalize.ts'
import { encodeRaw } from './raw-payload.ts'
import { type StoredData, toStoredData } from './stored-data.ts'

/** PostgreSQL's text cannot hold NUL: dropped wherever an external id is written or looked up. */
const textParam = (value: string) => value.replaceAll('\u0000', '')

/** Records prepared between two turns of the event loop (about 10 ms of work). */
const PREPARE_SLICE = 100

/**
 * The page as one array per short column and one of packed raw records (raw-payload.ts),
 * for unnest(), and `data` as one JSON array, for json_array_elements(): PostgreSQL takes a
 * JSON array apart far faster than an array of JSON texts (no escaping either side) or a
 * JSON document of whole rows (json_to_recordset reads each record's data twice). Measured
 * on pages of 1,000: 56 ms for this, 160 ms for jsonb[] and json[], 140–190 ms for
 * json_to_recordset.
 */
async function toColumns(contacts: Iterable<Contact>) {
  const columns = {
    externalIds: [] as string[],
    etags: [] as Array<string | null>,
    displayNames: [] as string[],
    sortKeys: [] as string[],
    searchTexts: [] as string[],
    data: [] as StoredData[],
    // null, so SQL NULL, when there is none.
    raws: [] as Array<Buffer | null>,
  }
  let done = 0
  for (const contact of contacts) {
    // A turn of the event loop every few records: a page takes 60–100 ms of this thread,
    // and whatever else is under way meanwhile (the next page's request going out, the
    // answer of the page being written) must not wait for all of it. Measured with a
    // provider's latency: a request held up behind a page's preparation added that time to
    // every page (bench/import).
    if (++done % PREPARE_SLICE === 0) await new Promise((resolve) => setImmediate(resolve))
    const name = textParam(displayName(contact))
    columns.externalIds.push(textParam(contact.externalId))
    columns.etags.push(contact.etag === undefined ? null : textParam(contact.etag))
    columns.displayNames.push(name)
    // fold() already turned NUL into a space in these two.
    columns.sortKeys.push(sortKey(name))
    columns.searchTexts.push(searchText(contact, name))
    columns.data.push(toStoredData(contact))
    columns.raws.push(encodeRaw(contact.raw))
  }
  return columns
}

/**
 * Changed when the provider's etag differs; without an etag (vCard, CSV), when the mapped
 * data or the payload differ. `c` is the stored row, `i` the arriving one.
 */
const CHANGED = `CASE WHEN i.etag IS NOT NULL THEN c.etag IS DISTINCT FROM i.etag
  ELSE c.etag IS NOT NULL OR c.data <> i.data OR c.raw IS DISTINCT FROM i.raw END`

// $1 person, $2 connection, $3 the full run marking them (or NULL), $4–$10 the page's
// columns.
// The INSERT keeps an ON CONFLICT for a row that another transaction inserted after this
// statement's snapshot (a stalled worker still writing the same page): it is overwritten
// and counted as updated, never a unique violation that fails the page.
const UPSERT = `
WITH owner AS (
  SELECT id FROM connections WHERE id = $2 AND person_id = $1
),
i AS (
  SELECT t.external_id, t.etag, t.display_name, t.sort_key, t.search_text,
    d.value::jsonb AS data, t.raw
  FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $10::bytea[])
      WITH ORDINALITY AS t (external_id, etag, display_name, sort_key, search_text, raw, n)
    JOIN json_array_elements($9::json) WITH ORDINALITY AS d (value, n) USING (n)
),
prior AS (
  -- One index lookup per record (LIMIT keeps the planner from flattening this into a hash
  -- join over every row of the connection, which it picks on the stale statistics of a
  -- table that an import is filling, and which costs a whole book per page).
  SELECT c.id, i.external_id, c.changed, c.seen_by
  FROM i CROSS JOIN LATERAL (
    SELECT c.id, c.seen_by, ${CHANGED} AS changed FROM contacts c
    WHERE c.connection_id = $2 AND c.external_id = i.external_id LIMIT 1
  ) c
),
rewritten AS (
  UPDATE contacts c SET etag = i.etag, display_name = i.display_name, sort_key = i.sort_key,
    data = i.data, raw = i.raw,
    seen_by = COALESCE($3::uuid, c.seen_by), updated_at = now()
  FROM prior p JOIN i ON i.external_id = p.external_id
  WHERE c.id = p.id AND p.changed
  RETURNING c.id, c.external_id
),
marked AS (
  -- Unchanged records are not rewritten to be stamped: a mark of their own (migration
  -- 0002, contact_marks) says the full run saw them.
  INSERT INTO contact_marks (connection_id, run_id, contact_id)
  SELECT $2, $3::uuid, p.id FROM prior p
  WHERE $3::uuid IS NOT NULL AND NOT p.changed AND p.seen_by IS DISTINCT FROM $3::uuid
  ON CONFLICT DO NOTHING
),
inserted AS (
  INSERT INTO contacts AS c (person_id, connection_id, external_id, etag, display_name,
    sort_key, data, raw, seen_by)
  SELECT $1, $2, i.external_id, i.etag, i.display_name, i.sort_key, i.data, i.raw, $3::uuid
  FROM i, owner
  WHERE NOT EXISTS (SELECT 1 FROM prior p WHERE p.external_id = i.external_id)
  ON CONFLICT (connection_id, external_id) DO UPDATE SET etag = EXCLUDED.etag,
    display_name = EXCLUDED.display_name, sort_key = EXCLUDED.sort_key,
    data = EXCLUDED.data, raw = EXCLUDED.raw,
    seen_by = COALESCE(EXCLUDED.seen_by, c.seen_by), updated_at = now()
  RETURNING c.id, c.external_id, xmax = 0 AS created
),
searched AS (
  -- What a search reads (migration 0006), for every row this statement wrote; its card
  -- follows from card_members, which the contacts' triggers write after this statement.
  INSERT INTO contact_search AS s (contact_id, person_id, sort_key, search_text)
  SELECT w.id, $1, i.sort_key, i.search_text
  FROM (SELECT id, external_id FROM rewritten UNION ALL SELECT id, external_id FROM inserted) w
  JOIN i ON i.external_id = w.external_id
  ON CONFLICT (contact_id) DO UPDATE SET sort_key = EXCLUDED.sort_key,
    search_text = EXCLUDED.search_text
)
SELECT
  (SELECT count(*) FROM owner)::int AS owned,
  (SELECT count(*) FROM inserted WHERE created)::int AS created,
  ((SELECT count(*) FROM rewritten) + (SELECT count(*) FROM inserted WHERE NOT created))::int
    AS updated`

/**
 * A page's rows as upsert sends them, computed before its transaction (prepare): an import
 * prepares the page ahead while the page before it is being written, so this work on the
 * worker's thread (folding names, the search text, packing each raw record, the JSON of
 * the data — 60–100 ms a page of 1,000) overlaps the database's instead of adding to it.
 */
export interface PreparedContacts {
  readonly prepared: true
  /** Records after duplicates within the page are dropped (the last of an external id). */
  readonly size: number
  readonly columns: Readonly<Awaited<ReturnType<typeof toColumns>>>
  readonly data: string
}

async function prepare(contacts: Iterable<Contact>): Promise<PreparedContacts> {
  // ON CONFLICT and the UPDATEs may touch a row once per statement: the page's last
  // record of an external id is the one kept, and it counts once.
  const unique = new Map<string, Contact>()
  for (const contact of contacts) unique.set(contact.externalId, contact)
  const columns = await toColumns(unique.values())
  return { prepared: true, size: unique.size, columns, data: jsonParam(columns.data) }
}

export interface ContactWrites {
  prepare(contacts: Iterable<Contact>): Promise<PreparedContacts>
  upsert(
    tx: Queryable,
    target: { personId: string; connectionId: string; seenBy: string | undefined },
    contacts: Contact[] | PreparedContacts,
  ): Promise<UpsertCounts>
  relink(
    tx: Queryable,
    connectionId: string,
    pairs: ReadonlyArray<{ from: string; to: string }>,
  ): Promise<void>
  remove(tx: Queryable, connectionId: string, externalIds: readonly string[]): Promise<number>
  sweep(tx: Queryable, connectionId: string, seenBy: string): Promise<number>
  removeAll(tx: Queryable, personId: string): Promise<number>
}

async function remove(
  tx: Queryable,
  connectionId: string,
  externalIds: readonly string[],
): Promise<number> {
  if (externalIds.length === 0) return 0
  const { rowCount } = await tx.query(
    'DELETE FROM contacts WHERE connection_id = $1 AND external_id = ANY ($2::text[])',
    [connectionId, [...new Set(externalIds.map(textParam))]],
  )
  return rowCount ?? 0
}

export function createContactWrites(): ContactWrites {
  return {
    prepare,

    async upsert(tx, target, contacts) {
      const page = 'prepared' in contacts ? contacts : await prepare(contacts)
      if (page.size === 0) return { created: 0, updated: 0, unchanged: 0 }
      const { columns } = page
      const { rows: result } = await tx.query<{
        owned: number
        created: number
        updated: number
      }>(UPSERT, [
        target.personId,
        target.connectionId,
        target.seenBy ?? null,
        columns.externalIds,
        columns.etags,
        columns.displayNames,
        columns.sortKeys,
        columns.searchTexts,
        page.data,
        columns.raws,
      ])
      const counts = result[0]
      if (!counts?.owned) {
        // A caller's mistake, never a person's: rows must not land in someone else's book.
        throw new Error(
          `contactsStore.upsert: connection ${target.connectionId} is not one of person ${target.personId}'s`,
        )
      }
      return {
        created: counts.created,
        updated: counts.updated,
        unchanged: page.size - counts.created - counts.updated,
      }
    },

    async relink(tx, connectionId, pairs) {
      // Google merges contacts: several old names can point to one new one. The first is
      // re-keyed; the others (and any old record whose new name is already stored) are
      // duplicates of it and go.
      const moves = new Map<string, string>()
      const targets = new Set<string>()
      const extras: string[] = []
      for (const pair of pairs) {
        const [from, to] = [textParam(pair.from), textParam(pair.to)]
        if (from === to || moves.has(from)) continue
        if (targets.has(to)) extras.push(from)
        else {
          moves.set(from, to)
          targets.add(to)
        }
      }
      if (moves.size > 0) {
        await tx.query(
          `WITH p AS (SELECT * FROM unnest($2::text[], $3::text[]) AS p (from_id, to_id)),
           taken AS (
             SELECT p.from_id FROM p
             WHERE EXISTS (SELECT 1 FROM contacts t WHERE t.connection_id = $1 AND t.external_id = p.to_id)
           ),
           dropped AS (
             DELETE FROM contacts c USING taken
             WHERE c.connection_id = $1 AND c.external_id = taken.from_id
           )
           UPDATE contacts c SET external_id = p.to_id, updated_at = now()
           FROM p WHERE c.connection_id = $1 AND c.external_id = p.from_id
             AND p.from_id NOT IN (SELECT from_id FROM taken)`,
          [connectionId, [...moves.keys()], [...moves.values()]],
        )
      }
      await remove(tx, connectionId, extras)
    },

    remove,

    async sweep(tx, connectionId, seenBy) {
      // Seen: written by the run (seen_by) or met unchanged (a mark). The marks of the
      // connection go with it, the run's and any a failed run left behind.
      const { rows } = await tx.query<{ count: number }>(
        `WITH gone AS (
           DELETE FROM contacts c
           WHERE c.connection_id = $1 AND c.seen_by IS DISTINCT FROM $2::uuid
             AND NOT EXISTS (
               SELECT 1 FROM contact_marks m
               WHERE m.connection_id = $1 AND m.run_id = $2::uuid AND m.contact_id = c.id)
           RETURNING 1
         ),
         cleared AS (DELETE FROM contact_marks WHERE connection_id = $1)
         SELECT count(*)::int AS count FROM gone`,
        [connectionId, seenBy],
      )
      return rows[0]?.count ?? 0
    },

    async removeAll(tx, personId) {
      const { rows } = await tx.query<{ count: number }>(
        `WITH gone AS (DELETE FROM contacts WHERE person_id = $1 RETURNING 1),
         cleared AS (
           DELETE FROM contact_marks
           WHERE connection_id IN (SELECT id FROM connections WHERE person_id = $1)
         ),
         -- The person's splits and joins name imported records (migration 0005).
         splits AS (DELETE FROM card_splits WHERE person_id = $1),
         joins AS (DELETE FROM card_joins WHERE person_id = $1)
         SELECT count(*)::int AS count FROM gone`,
        [personId],
      )
      return rows[0]?.count ?? 0
    },
  }
}
