// Import runs in PostgreSQL (migration 0002): one row per run of one connection, its
// state, counts and the cursor it resumes from, kept after it ends as the person's history.
// Who may write what:
//   - a run is created `waiting`, and at most one run per connection is waiting or active
//     (the partial unique index imports_one_running): a second start joins that run;
//   - the worker holding the run's job moves it on, one page at a time, and each page is
//     claimed by its number (claimPage, under the row lock), so a worker that lost its job
//     to another (a stall) can never write a page twice or over the other's cursor;
//   - a run ends once (finish only moves an unfinished run), and a deleted row (the person
//     deleted their data) is the end of it for whoever holds its job.

import type { Queryable } from '../address-book/contacts-store.ts'
import type { PageCursor, SkippedRecord } from '../contacts/contact-source.ts'
import type { Database } from '../db/database.ts'

export type ImportKind = 'full' | 'incremental' | 'resync'
export type ImportState = 'waiting' | 'active' | 'completed' | 'failed'

export interface ImportCounts {
  created: number
  updated: number
  deleted: number
  unchanged: number
  skipped: number
}

export interface ImportError {
  code: string
  /** In plain words, for the person (the AppError's public message). */
  message: string
  /** A retry button makes sense (the provider was down), or not (reconnect first). */
  retryable: boolean
}

export interface ImportRun {
  id: string
  personId: string
  connectionId: string
  kind: ImportKind
  state: ImportState
  counts: ImportCounts
  pagesDone: number
  /** The provider's count of the whole set, when it gave one: the progress bar's max. */
  total: number | undefined
  error: ImportError | undefined
  createdAt: Date
  startedAt: Date | undefined
  finishedAt: Date | undefined
}

export type { SkippedRecord }

/** The reads the web pages need; the worker's writes are added by the import engine. */
export interface ImportsReader {
  /** One of the person's runs; undefined when the id is not theirs (or not a uuid). */
  get(personId: string, id: string): Promise<ImportRun | undefined>
  /** Per connection id: its latest run. */
  latestByConnection(personId: string): Promise<Map<string, ImportRun>>
  /** The records a run skipped, in the order met, in batches (its downloadable report). */
  skips(personId: string, id: string): AsyncGenerator<SkippedRecord[], void>
}

/** Where a resumed run goes on, saved with every page (imports.resume). */
export interface ResumePoint {
  /** The next page to read; undefined once every page is written. */
  next: PageCursor | undefined
  /** An incremental read: the sync token it started from, sent again with every page. */
  from: string | undefined
  /** The provider's new sync token (from the last page), kept for the connection at the end. */
  syncToken: string | undefined
}

/** What the worker reads of a run: the run and where it stopped. */
export interface RunRecord extends ImportRun {
  resume: ResumePoint | undefined
}

/** A connection's incremental-sync state (connections.import_state). */
export interface SyncState {
  /** The provider's cursor for the next incremental read. */
  syncToken: string | undefined
  /** When a full read last completed (ISO 8601). */
  lastFullSyncAt: string | undefined
}

/** How one page changed the run. */
export interface PageProgress extends ImportCounts {
  total: number | undefined
  resume: ResumePoint
}

/** What claiming a page found: the run is ours to write, gone (deleted), or moved on. */
export type Claim = 'ours' | 'gone' | 'taken'

export interface ImportsStore extends ImportsReader {
  /**
   * A new waiting run for the connection, or the one already waiting or active: two clicks
   * (or a click and a schedule) make one run. `created` says which.
   */
  createOrJoin(
    connection: { id: string; personId: string },
    kind: ImportKind,
  ): Promise<{ run: ImportRun; created: boolean }>
  /** Any run by id (the worker's read; no person scope). */
  byId(id: string): Promise<RunRecord | undefined>
  /** waiting → active (a resumed run stays active); undefined when gone or finished. */
  markActive(id: string, kind: ImportKind): Promise<RunRecord | undefined>
  /** Locks the run for writing page `pagesDone + 1` in this transaction. */
  claimPage(tx: Queryable, id: string, pagesDone: number): Promise<Claim>
  /** The claimed page is written: counts added, cursor and total saved. */
  savePage(tx: Queryable, id: string, page: PageProgress): Promise<void>
  /** Records the page's skipped records, numbered on from `position`. */
  addSkips(tx: Queryable, id: string, position: number, skips: SkippedRecord[]): Promise<void>
  /** The sync token expired: the same run reads everything again, from the first page. */
  switchToResync(id: string, pagesDone: number): Promise<boolean>
  /** Ends an unfinished run; false when it was gone or already finished. */
  finish(
    tx: Queryable | undefined,
    id: string,
    outcome: { state: 'completed'; deleted?: number } | { state: 'failed'; error: ImportError },
  ): Promise<boolean>
  syncState(connectionId: string): Promise<SyncState>
  saveSyncState(tx: Queryable, connectionId: string, state: SyncState): Promise<void>
  /** Whether a run of the connection ever completed (a first sign-in imports by itself). */
  hasCompleted(connectionId: string): Promise<boolean>
  /** Every active connection (the periodic syncs' schedules are made from them). */
  activeConnections(): Promise<Array<{ id: string; personId: string }>>
}

const COLUMNS = `id, person_id, connection_id, kind, state, created, updated, deleted, unchanged,
  skipped, pages_done, total, resume, error_code, error_message, error_retryable, created_at,
  started_at, finished_at`

interface Row {
  id: string
  person_id: string
  connection_id: string
  kind: ImportKind
  state: ImportState
  created: number
  updated: number
  deleted: number
  unchanged: number
  skipped: number
  pages_done: number
  total: number | null
  resume: StoredResume | null
  error_code: string | null
  error_message: string | null
  error_retryable: boolean | null
  created_at: Date
  started_at: Date | null
  finished_at: Date | null
}

/** ResumePoint as JSON: undefined is left out, an absent cursor is null. */
interface StoredResume {
  next: PageCursor | null
  from?: string
  syncToken?: string
}

const toRun = (row: Row): RunRecord => ({
  id: row.id,
  personId: row.person_id,
  connectionId: row.connection_id,
  kind: row.kind,
  state: row.state,
  counts: {
    created: row.created,
    updated: row.updated,
    deleted: row.deleted,
    unchanged: row.unchanged,
    skipped: row.skipped,
  },
  pagesDone: row.pages_done,
  total: row.total ?? undefined,
  error:
    row.error_code === null
      ? undefined
      : {
          code: row.error_code,
          message: row.error_message ?? '',
          retryable: row.error_retryable === true,
        },
  createdAt: row.created_at,
  startedAt: row.started_at ?? undefined,
  finishedAt: row.finished_at ?? undefined,
  resume: row.resume
    ? {
        next: row.resume.next ?? undefined,
        from: row.resume.from,
        syncToken: row.resume.syncToken,
      }
    : undefined,
})

/** The ImportRun of a record: what a page may see (no cursor, no token). */
export function publicRun(record: RunRecord): ImportRun {
  const { resume: _resume, ...run } = record
  return run
}

const storedResume = (resume: ResumePoint): StoredResume => ({
  next: resume.next ?? null,
  ...(resume.from !== undefined && { from: resume.from }),
  ...(resume.syncToken !== undefined && { syncToken: resume.syncToken }),
})

/** A UUID as PostgreSQL's uuid type reads it; anything else can name no row. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SKIPS_BATCH = 500
/** A join that keeps losing to runs ending in between is a bug, not a race. */
const JOIN_ATTEMPTS = 5

export function createImportsStore(deps: { db: Pick<Database, 'query' | 'pool'> }): ImportsStore {
  const { db } = deps

  async function one(text: string, values: unknown[]): Promise<RunRecord | undefined> {
    const { rows } = await db.query<Row>(text, values)
    return rows[0] ? toRun(rows[0]) : undefined
  }

  return {
    async get(personId, id) {
      if (!UUID.test(personId) || !UUID.test(id)) return undefined
      const run = await one(`SELECT ${COLUMNS} FROM imports WHERE person_id = $1 AND id = $2`, [
        personId,
        id,
      ])
      return run && publicRun(run)
    },

    async latestByConnection(personId) {
      const latest = new Map<string, ImportRun>()
      if (!UUID.test(personId)) return latest
      const { rows } = await db.query<Row>(
        `SELECT DISTINCT ON (connection_id) ${COLUMNS} FROM imports WHERE person_id = $1
         ORDER BY connection_id, created_at DESC, id`,
        [personId],
      )
      for (const row of rows) latest.set(row.connection_id, publicRun(toRun(row)))
      return latest
    },

    async *skips(personId, id) {
      if (!UUID.test(personId) || !UUID.test(id)) return
      let after = -1
      for (;;) {
        // Keyset over the run's own positions, scoped to the person by the join.
        const { rows } = await db.query<{
          position: number
          external_id: string | null
          reason: string
        }>(
          `SELECT s.position, s.external_id, s.reason FROM import_skips s
           JOIN imports i ON i.id = s.import_id
           WHERE i.person_id = $1 AND s.import_id = $2 AND s.position > $3
           ORDER BY s.position LIMIT $4`,
          [personId, id, after, SKIPS_BATCH],
        )
        if (rows.length === 0) return
        yield rows.map((r) => ({ externalId: r.external_id ?? undefined, reason: r.reason }))
        after = rows.at(-1)?.position ?? after
        if (rows.length < SKIPS_BATCH) return
      }
    },

    async createOrJoin(connection, kind) {
      for (let attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
        // Two starts at once: one INSERT wins the unique index, the other does nothing and
        // reads the winner. If that run ended in between, the loop tries again.
        const created = await one(
          `INSERT INTO imports (person_id, connection_id, kind) VALUES ($1, $2, $3)
           ON CONFLICT (connection_id) WHERE state IN ('waiting', 'active') DO NOTHING
           RETURNING ${COLUMNS}`,
          [connection.personId, connection.id, kind],
        )
        if (created) return { run: publicRun(created), created: true }
        const running = await one(
          `SELECT ${COLUMNS} FROM imports
           WHERE connection_id = $1 AND state IN ('waiting', 'active')`,
          [connection.id],
        )
        if (running) return { run: publicRun(running), created: false }
      }
      throw new Error(`no run could be created or joined for connection ${connection.id}`)
    },

    byId: (id) =>
      UUID.test(id)
        ? one(`SELECT ${COLUMNS} FROM imports WHERE id = $1`, [id])
        : Promise.resolve(undefined),

    markActive: (id, kind) =>
      one(
        `UPDATE imports SET state = 'active', kind = $2, started_at = COALESCE(started_at, now())
         WHERE id = $1 AND state IN ('waiting', 'active') RETURNING ${COLUMNS}`,
        [id, kind],
      ),

    async claimPage(tx, id, pagesDone) {
      const { rows } = await tx.query<{ pages_done: number; state: ImportState }>(
        'SELECT pages_done, state FROM imports WHERE id = $1 FOR UPDATE',
        [id],
      )
      const row = rows[0]
      if (!row) return 'gone'
      return row.state === 'active' && row.pages_done === pagesDone ? 'ours' : 'taken'
    },

    async savePage(tx, id, page) {
      await tx.query(
        `UPDATE imports SET pages_done = pages_done + 1, created = created + $2,
           updated = updated + $3, deleted = deleted + $4, unchanged = unchanged + $5,
           skipped = skipped + $6, total = COALESCE($7, total), resume = $8
         WHERE id = $1`,
        [
          id,
          page.created,
          page.updated,
          page.deleted,
          page.unchanged,
          page.skipped,
          page.total ?? null,
          storedResume(page.resume),
        ],
      )
    },

    async addSkips(tx, id, position, skips) {
      if (skips.length === 0) return
      await tx.query(
        `INSERT INTO import_skips (import_id, position, external_id, reason)
         SELECT $1, $2::int + n::int - 1, e, r FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS s(e, r, n)
         ON CONFLICT DO NOTHING`,
        [id, position, skips.map((s) => s.externalId ?? null), skips.map((s) => s.reason)],
      )
    },

    async switchToResync(id, pagesDone) {
      const { rowCount } = await db.query(
        `UPDATE imports SET kind = 'resync', pages_done = 0, total = NULL, resume = NULL
         WHERE id = $1 AND state = 'active' AND pages_done = $2`,
        [id, pagesDone],
      )
      return rowCount === 1
    },

    async finish(tx, id, outcome) {
      // clock_timestamp(), not now(): the moment the run ends, its sweep included, not the
      // start of the transaction that ends it.
      const error = outcome.state === 'failed' ? outcome.error : undefined
      const runner: Queryable = tx ?? db.pool
      const { rowCount } = await runner.query(
        `UPDATE imports SET state = $2, finished_at = clock_timestamp(), deleted = deleted + $3,
           error_code = $4, error_message = $5, error_retryable = $6,
           started_at = COALESCE(started_at, now())
         WHERE id = $1 AND state IN ('waiting', 'active')`,
        [
          id,
          outcome.state,
          outcome.state === 'completed' ? (outcome.deleted ?? 0) : 0,
          error?.code ?? null,
          error?.message ?? null,
          error ? error.retryable : null,
        ],
      )
      return rowCount === 1
    },

    async syncState(connectionId) {
      const { rows } = await db.query<{ state: Record<string, unknown> }>(
        'SELECT import_state AS state FROM connections WHERE id = $1',
        [connectionId],
      )
      const state = rows[0]?.state ?? {}
      const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined)
      return { syncToken: text(state.syncToken), lastFullSyncAt: text(state.lastFullSyncAt) }
    },

    async saveSyncState(tx, connectionId, state) {
      await tx.query(
        'UPDATE connections SET import_state = import_state || $2::jsonb WHERE id = $1',
        [
          connectionId,
          {
            syncToken: state.syncToken ?? null,
            ...(state.lastFullSyncAt !== undefined && { lastFullSyncAt: state.lastFullSyncAt }),
          },
        ],
      )
    },

    async hasCompleted(connectionId) {
      if (!UUID.test(connectionId)) return false
      const { rowCount } = await db.query(
        `SELECT 1 FROM imports WHERE connection_id = $1 AND state = 'completed' LIMIT 1`,
        [connectionId],
      )
      return rowCount === 1
    },

    async activeConnections() {
      const { rows } = await db.query<{ id: string; person_id: string }>(
        `SELECT id, person_id FROM connections WHERE status = 'active' ORDER BY id`,
      )
      return rows.map((r) => ({ id: r.id, personId: r.person_id }))
    },
  }
}
