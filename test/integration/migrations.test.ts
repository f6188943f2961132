// The migrations on a real PostgreSQL: from an empty database to exactly the agreed model,
// idempotent, and safe when several instances start at once (node-pg-migrate's advisory
// lock, in 'wait' mode).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { PG_MIGRATE_LOCK_ID, runner } from 'node-pg-migrate'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { createContactsStore } from '../../src/address-book/contacts-store.ts'
import { MIGRATIONS_DIR, MIGRATIONS_TABLE, runMigrations } from '../../src/db/migrate.ts'
import { ROOT_DIR } from '../../src/paths.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'
import { memoryLogger } from './support/stack.ts'

const FIRST = '0001_people-and-connections'
const ALL = [
  FIRST,
  '0002_address-book',
  '0003_contact-counts',
  '0004_packed-raw',
  '0005_merged-cards',
  '0006_search-table',
]

const databases: TestDatabase[] = []
async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase({ migrate: false })
  databases.push(database)
  return database
}
afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.drop()))
})

async function tables(database: TestDatabase): Promise<string[]> {
  const { rows } = await database.db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  )
  return rows.map((row) => row.table_name)
}

async function appliedNames(database: TestDatabase): Promise<string[]> {
  const { rows } = await database.db.query<{ name: string }>(
    `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`,
  )
  return rows.map((row) => row.name)
}

/** `npm run migrate` as a separate process. */
function migrateProcess(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT_DIR, 'src', 'db', 'migrate-cli.ts')], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' },
      cwd: ROOT_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('migrations', () => {
  it('when the database is empty, then they create people and connections exactly as agreed', async () => {
    const database = await emptyDatabase()
    const logs: string[] = []

    const applied = await runMigrations({ databaseUrl: database.url, log: memoryLogger(logs) })

    expect(applied).toEqual(ALL)
    expect(await tables(database)).toEqual([
      'card_joins',
      'card_members',
      'card_splits',
      'card_totals',
      'connections',
      'contact_counts',
      'contact_keys',
      'contact_marks',
      'contact_search',
      'contacts',
      'import_skips',
      'imports',
      'people',
      MIGRATIONS_TABLE,
    ])
    expect(logs.join('\n')).toContain('database migrations applied')
    const { rows: columns } = await database.db.query(
      `SELECT column_name, data_type, is_nullable, column_default
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'connections'
        ORDER BY ordinal_position`,
    )
    expect(columns.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ['id', 'uuid', 'NO'],
      ['person_id', 'uuid', 'NO'],
      ['provider', 'text', 'NO'],
      ['issuer', 'text', 'NO'],
      ['subject', 'text', 'NO'],
      ['display_name', 'text', 'YES'],
      ['email', 'text', 'YES'],
      ['status', 'text', 'NO'],
      ['grant_id', 'text', 'YES'],
      ['scopes', 'ARRAY', 'NO'],
      ['connected_at', 'timestamp with time zone', 'NO'],
      ['last_refreshed_at', 'timestamp with time zone', 'YES'],
      ['last_used_at', 'timestamp with time zone', 'YES'],
      ['import_state', 'jsonb', 'NO'],
    ])
  })

  it('when they have run, then the defaults, the checks, the uniqueness and the cascade hold', async () => {
    const database = await emptyDatabase()
    await runMigrations({ databaseUrl: database.url, log: memoryLogger([]) })
    const { db } = database

    const {
      rows: [person],
    } = await db.query<{ id: string }>('INSERT INTO people DEFAULT VALUES RETURNING id')
    const {
      rows: [connection],
    } = await db.query(
      `INSERT INTO connections (person_id, provider, issuer, subject, grant_id)
       VALUES ($1, 'demo', 'http://localhost:4000', 'alice', 'g1') RETURNING *`,
      [person?.id],
    )
    expect(connection).toMatchObject({
      status: 'active',
      scopes: [],
      import_state: {},
      last_refreshed_at: null,
    })
    expect(connection?.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(connection?.connected_at).toBeInstanceOf(Date)

    const insert = (subject: string, extra = '', grant: string | null = null) =>
      db.query(
        `INSERT INTO connections (person_id, provider, issuer, subject, grant_id${extra ? ', status' : ''})
         VALUES ($1, 'demo', 'http://localhost:4000', $2, $3${extra ? `, '${extra}'` : ''})`,
        [person?.id, subject, grant],
      )
    // One provider account belongs to one person; one grant to one connection.
    await expect(insert('alice')).rejects.toMatchObject({ code: '23505' })
    await expect(insert('bob', '', 'g1')).rejects.toMatchObject({ code: '23505' })
    await expect(insert('carol', 'paused')).rejects.toMatchObject({ code: '23514' })
    // Several disconnected connections may all have no grant.
    await insert('dave', 'disconnected')
    await insert('erin', 'disconnected')

    await db.query('DELETE FROM people WHERE id = $1', [person?.id])
    const { rows } = await db.query('SELECT id FROM connections')
    expect(rows).toEqual([])
  })

  it('when contacts were stored with raw json before 0004, then they read back the same after it', async () => {
    const database = await emptyDatabase()
    // json keeps the text as sent: spacing, key order and a NUL escape (jsonb would refuse it).
    const raw = '{"resourceName": "people/c1",  "z": 1, "a": "x\\u0000y", "names": []}'
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        migrationsTable: MIGRATIONS_TABLE,
        direction: 'up',
        count: 3,
        log: () => {},
      })
      await client.query(
        `WITH p AS (INSERT INTO people DEFAULT VALUES RETURNING id),
         c AS (INSERT INTO connections (person_id, provider, issuer, subject)
               SELECT id, 'demo', 'http://127.0.0.1/issuer', 's' FROM p RETURNING id, person_id)
         INSERT INTO contacts (person_id, connection_id, external_id, display_name, sort_key,
                               search_text, data, raw)
         SELECT person_id, id, 'people/c1', 'Ada', 'ada', 'ada', '{"name":{"display":"Ada"}}', $1::json
         FROM c`,
        [raw],
      )
    } finally {
      await client.end()
    }
    expect(await runMigrations({ databaseUrl: database.url, log: memoryLogger([]) })).toEqual([
      '0004_packed-raw',
      '0005_merged-cards',
      '0006_search-table',
    ])

    const { rows } = await database.db.query<{ id: string; person_id: string; raw: Buffer }>(
      'SELECT id, person_id, raw FROM contacts',
    )
    expect(rows[0]?.raw.toString('utf8')).toBe(raw)
    const stored = await createContactsStore({ db: database.db, defaultPhoneRegion: 'GB' }).get(
      rows[0]?.person_id ?? '',
      rows[0]?.id ?? '',
    )
    expect(stored?.contact.raw).toEqual({
      resourceName: 'people/c1',
      z: 1,
      a: 'x\u0000y',
      names: [],
    })
    // Its search text moved to contact_search (0006): the contact is still found by it.
    const store = createContactsStore({ db: database.db, defaultPhoneRegion: 'GB' })
    const found = await store.listCards(rows[0]?.person_id ?? '', { q: 'AD', limit: 10 })
    expect(found.cards.map((card) => card.id)).toEqual([rows[0]?.id])
    expect(found.count).toBe(1)
    expect((await store.listCards(rows[0]?.person_id ?? '', { q: 'bob', limit: 10 })).count).toBe(0)
  })

  it('when they run twice in a row, then the second run applies nothing', async () => {
    const database = await emptyDatabase()
    const logs: string[] = []
    const log = memoryLogger(logs)

    expect(await runMigrations({ databaseUrl: database.url, log })).toEqual(ALL)
    expect(await runMigrations({ databaseUrl: database.url, log })).toEqual([])

    expect(await appliedNames(database)).toEqual(ALL)
    expect(logs.join('\n')).toContain('database schema is up to date')
  })

  it('when two processes migrate one fresh database at once, then both succeed and the migration is applied once', async () => {
    const database = await emptyDatabase()
    // Hold node-pg-migrate's lock until both processes are waiting for it, so they really
    // do run at the same moment (with advisoryLockMode 'fail' the second one would exit 1).
    const holder = new pg.Client({ connectionString: database.url })
    await holder.connect()
    await holder.query('SELECT pg_advisory_lock($1)', [PG_MIGRATE_LOCK_ID])

    const runs = [migrateProcess(database.url), migrateProcess(database.url)]
    let waiting = 0
    for (const deadline = Date.now() + 15_000; waiting < 2 && Date.now() < deadline; ) {
      await sleep(100)
      const { rows } = await holder.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_locks
          WHERE locktype = 'advisory' AND NOT granted AND database = (
            SELECT oid FROM pg_database WHERE datname = current_database())`,
      )
      waiting = rows[0]?.waiting ?? 0
    }
    await holder.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATE_LOCK_ID])
    await holder.end()
    const results = await Promise.all(runs)

    expect(waiting).toBe(2)
    expect(results.map((r) => r.code)).toEqual([0, 0])
    const outputs = results.map((r) => r.output).join('\n')
    expect(outputs.match(/database migrations applied/g)).toHaveLength(1)
    expect(outputs.match(/database schema is up to date/g)).toHaveLength(1)
    expect(await appliedNames(database)).toEqual(ALL)
  })
})
