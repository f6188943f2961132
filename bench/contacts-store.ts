// The address book store (src/address-book) at 25,000 realistic contacts — the demo seed's
// generated people, as bench/import's book: upsert throughput against the database's own
// ingest floor, the cost of re-importing an unchanged book, and bytes per contact. Not the
// import benchmark (bench/import): no provider, no worker, only the store's statements.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/contacts-store.ts
//
// Floors, each the same rows and columns into a table without any index, 1,000 rows a
// statement, one transaction a page:
//   - VALUES: a plain batched INSERT … VALUES ($1, …), (…), one parameter a value;
//   - arrays: INSERT … SELECT from the very parameters the store sends (unnest and
//     json_array_elements), so the ratio is the price of the indexes and the upsert alone.
// Floor and store take turns page by page, so a machine busy with something else slows
// both alike. ROUNDS=n repeats; SETUP='ALTER TABLE contacts …' tries a storage variant, or
// prices a part of the write by taking it away (SETUP='DROP INDEX contact_search_trgm').
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { createPeople } from '../demo/seed.ts'
import { createContactsStore } from '../src/address-book/contacts-store.ts'
import { jsonParam } from '../src/address-book/json-param.ts'
import { searchText, sortKey } from '../src/address-book/normalize.ts'
import { encodeRaw } from '../src/address-book/raw-payload.ts'
import { toStoredData } from '../src/address-book/stored-data.ts'
import { type Contact, displayName } from '../src/contacts/contact.ts'
import { toContact } from '../src/contacts/sources/people.ts'
import { createDatabase } from '../src/db/database.ts'
import { runMigrations } from '../src/db/migrate.ts'
import { createLogger } from '../src/log.ts'
import { cpuSeconds } from './process-cpu.ts'

const COUNT = 25_000
const PAGE = 1000
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const log = createLogger({ level: 'silent' })
const name = `bench_store_${randomUUID().slice(0, 8)}`
const admin = new pg.Client({ connectionString: serverUrl })
await admin.connect()
await admin.query(`CREATE DATABASE ${name}`)
const url = new URL(serverUrl)
url.pathname = `/${name}`
await runMigrations({ databaseUrl: url.href, log })
const db = createDatabase({ url: url.href, poolSize: 4, statementTimeoutMs: 600_000 }, log)
const client = await db.pool.connect()

const contacts = createPeople('bench-store', COUNT).flatMap(
  (person) => toContact({ ...person }, { defaultRegion: 'GB' }) ?? [],
)
const pages = Array.from({ length: COUNT / PAGE }, (_, i) =>
  contacts.slice(i * PAGE, (i + 1) * PAGE),
)

const { rows: owner } = await db.query<{ person_id: string; id: string }>(
  `WITH p AS (INSERT INTO people DEFAULT VALUES RETURNING id)
   INSERT INTO connections (person_id, provider, issuer, subject)
   SELECT id, 'demo', 'bench', 'bench' FROM p RETURNING person_id, id`,
)
const personId = owner[0]?.person_id as string
const connectionId = owner[0]?.id as string
const store = createContactsStore({ db, defaultPhoneRegion: 'GB' })
if (process.env.SETUP) await db.query(process.env.SETUP)
await db.query(`CREATE TABLE floor (person_id uuid, connection_id uuid, external_id text,
  etag text, display_name text, sort_key text, search_text text, data jsonb, raw bytea,
  seen_by uuid)`)

/** The columns of a page, computed as the store computes them. */
function rowsOf(page: Contact[]) {
  return page.map((contact) => {
    const shown = displayName(contact)
    return {
      externalId: contact.externalId,
      etag: contact.etag ?? null,
      shown,
      sortKey: sortKey(shown),
      searchText: searchText(contact, shown),
      data: toStoredData(contact),
      raw: encodeRaw(contact.raw),
    }
  })
}

const floors: Record<string, (page: Contact[], seenBy: string) => Promise<unknown>> = {
  VALUES(page, seenBy) {
    const values: unknown[] = []
    const tuples: string[] = []
    for (const row of rowsOf(page)) {
      const tuple = [
        personId,
        connectionId,
        row.externalId,
        row.etag,
        row.shown,
        row.sortKey,
        row.searchText,
        JSON.stringify(row.data),
        row.raw,
        seenBy,
      ]
      tuples.push(`(${tuple.map((_, j) => `$${values.length + j + 1}`).join(', ')})`)
      values.push(...tuple)
    }
    return client.query(`INSERT INTO floor VALUES ${tuples.join(', ')}`, values)
  },
  arrays(page, seenBy) {
    const rows = rowsOf(page)
    return client.query(
      `INSERT INTO floor SELECT $1, $2, t.external_id, t.etag, t.display_name, t.sort_key,
         t.search_text, d.value::jsonb, t.raw, $3
       FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $10::bytea[])
           WITH ORDINALITY AS t (external_id, etag, display_name, sort_key, search_text, raw, n)
         JOIN json_array_elements($9::json) WITH ORDINALITY AS d (value, n) USING (n)`,
      [
        personId,
        connectionId,
        seenBy,
        rows.map((row) => row.externalId),
        rows.map((row) => row.etag),
        rows.map((row) => row.shown),
        rows.map((row) => row.sortKey),
        rows.map((row) => row.searchText),
        jsonParam(rows.map((row) => row.data)),
        rows.map((row) => row.raw),
      ],
    )
  },
}

// The database's own CPU for each statement, from /proc on this machine (the server must
// be local; elsewhere it reads as 0): the backend of the one connection every page uses.
const backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
  ?.pid
const backendCpuMs = async () => (await cpuSeconds(backendPid ?? 0)) * 1000
const cpu: Record<string, number> = {}

async function inTransaction(work: () => Promise<unknown>, part?: string): Promise<number> {
  const cpuBefore = await backendCpuMs()
  const started = performance.now()
  await client.query('BEGIN')
  await work()
  await client.query('COMMIT')
  const elapsed = performance.now() - started
  if (part) cpu[part] = (cpu[part] ?? 0) + (await backendCpuMs()) - cpuBefore
  return elapsed
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0
const rate = (ms: number) => Math.round((COUNT / ms) * 1000)

async function bytesPerContact() {
  const { rows } = await db.query<Record<string, string>>(
    // The contacts and what a search reads of them (contact_search, migration 0006).
    `SELECT pg_total_relation_size('contacts') + pg_total_relation_size('contact_search') AS total,
       pg_relation_size('contacts') + pg_relation_size('contact_search') AS heap,
       pg_indexes_size('contacts') + pg_indexes_size('contact_search') AS indexes,
       COALESCE(pg_relation_size(to_regclass('contact_search_trgm')), 0) AS gin,
       (SELECT count(*) FROM contacts) AS n`,
  )
  const row = rows[0] ?? {}
  const per = (key: string) => Math.round(Number(row[key]) / Number(row.n))
  const total = per('total')
  const heap = per('heap')
  const indexes = per('indexes')
  return `${total} B (heap ${heap}, TOAST ${total - heap - indexes}, indexes ${indexes} of which trigram ${per('gin')})`
}

try {
  for (let round = 1; round <= ROUNDS; round++) {
    // TRUNCATE, not DELETE: a new, empty file, whatever snapshots other sessions hold. It
    // fires no DELETE trigger, so what the triggers keep beside the contacts goes with them:
    // keys left behind would merge every new contact with a ghost of the round before.
    await db.query(`TRUNCATE floor, contacts, contact_search, contact_keys, card_members,
      card_totals, contact_counts, contact_marks`)
    const seenBy = randomUUID()
    const times: Record<string, number[]> = { store: [], VALUES: [], arrays: [] }
    for (const part of Object.keys(times)) cpu[part] = 0
    for (const page of pages) {
      for (const [floor, insert] of Object.entries(floors)) {
        times[floor]?.push(await inTransaction(() => insert(page, seenBy), floor))
        await db.query('TRUNCATE floor')
      }
      times.store?.push(
        await inTransaction(
          () => store.upsert(client, { personId, connectionId, seenBy }, page),
          'store',
        ),
      )
    }
    const size = await bytesPerContact()
    const pass = async (seenBy: string | undefined) => {
      const started = performance.now()
      for (const page of pages) {
        await inTransaction(() => store.upsert(client, { personId, connectionId, seenBy }, page))
      }
      return Math.round(performance.now() - started)
    }
    const unchanged = await pass(undefined)
    const marked = await pass(randomUUID())
    const upserts = times.store ?? []
    const perPage = (part: string) => Math.round((cpu[part] ?? 0) / pages.length)
    const against = (floor: string) => {
      const floorTimes = times[floor] ?? []
      return `${floor} floor ${rate(sum(floorTimes))}/s, ratio ${(sum(floorTimes) / sum(upserts)).toFixed(2)} (median page ${(median(floorTimes) / median(upserts)).toFixed(2)})`
    }
    process.stdout.write(
      `round ${round}: upsert of 25 new pages ${rate(sum(upserts))}/s; ${against('VALUES')}; ${against('arrays')}\n` +
        `  the database's CPU a page: store ${perPage('store')} ms, VALUES ${perPage('VALUES')} ms, arrays ${perPage('arrays')} ms\n` +
        `  bytes a contact after it: ${size}\n` +
        `  the same 25 pages again, unchanged: ${unchanged} ms as an incremental run, ${marked} ms as a full run (every row marked); then ${await bytesPerContact()}\n`,
    )
  }
} finally {
  client.release()
  await db.close()
  if (process.env.KEEP) process.stdout.write(`kept database ${name}\n`)
  else await admin.query(`DROP DATABASE ${name} WITH (FORCE)`)
  await admin.end()
}
