// One import run, from its first page (or the cursor it stopped at) to its end:
//   - full (no sync token yet) or resync: every record is read and marked as seen by this
//     run; the end removes the connection's records this run did not see (mark and sweep),
//     so deletions missed while the token was stale are applied too;
//   - incremental: the stored sync token is sent with every page; updates are written,
//     tombstones removed, moved records re-keyed. An expired token (SYNC_TOKEN_EXPIRED)
//     turns the same run into a resync, from the first page.
// Each page commits in one transaction with the run's counts and the cursor of the next
// page, claimed by its number (imports-store.ts), while the next page is already being
// fetched (page-pipeline.ts). The connection's new sync token is saved only with the end
// of the run, after the last page committed. Access tokens come from the vault only
// (people/connections.ts: refresh, single flight, one retry on a refused token).
import type {
  ContactsStore,
  PreparedContacts,
  UpsertCounts,
} from '../address-book/contacts-store.ts'
import { upkeepAfterImport } from '../address-book/upkeep.ts'
import type { Contact } from '../contacts/contact.ts'
import type { ContactSource, ContactsPage } from '../contacts/contact-source.ts'
import { readPages, withAccessToken } from '../contacts/read-pages.ts'
import type { Database } from '../db/database.ts'
import { inTransaction } from '../db/transaction.ts'
import { AppError, ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Connections } from '../people/connections.ts'
import type { Connection, PeopleStore } from '../people/people-store.ts'
import type { Backoff } from './backoff.ts'
import { type ImportEvents, isFinished } from './import-events.ts'
import type { ImportCounts, ImportsStore, RunRecord } from './imports-store.ts'
import { createRequestGate, writeAhead } from './page-pipeline.ts'
import {
  connectionEnded,
  importErrorOf,
  isInfrastructureFailure,
  needsReconnect,
} from './run-errors.ts'

export interface RunImportDeps {
  db: Pick<Database, 'pool'>
  imports: ImportsStore
  contacts: ContactsStore
  people: PeopleStore
  connections: Connections
  /** Per provider id: its contacts source and the only URL its cursors may lead to. */
  sources: ReadonlyMap<string, { source: ContactSource; contactsUrl: URL }>
  events: ImportEvents
  backoff: Backoff
  log: Logger
}

/** finished: completed or failed; stopped: handed back mid-way (resumes); gone: not ours. */
export type RunOutcome = 'finished' | 'stopped' | 'gone'

/** The run's row was deleted, or another worker moved it on: this one stops quietly. */
class RunLost extends Error {
  override name = 'RunLost'
}

const NO_CHANGES: UpsertCounts = { created: 0, updated: 0, unchanged: 0 }

/** Labels by name: the provider's group ids looked up in its groups (contactGroups.list). */
function withGroupNames(contact: Contact, groups: ReadonlyMap<string, string>): Contact {
  if (contact.labels.length === 0) return contact
  return { ...contact, labels: [...new Set(contact.labels.map((id) => groups.get(id) ?? id))] }
}

const isAbort = (err: unknown) => err instanceof Error && err.name === 'AbortError'

export function createRunImport(deps: RunImportDeps) {
  const { db, imports, contacts, events, backoff, log } = deps

  /** The state a run carries from page to page (what the database has committed). */
  interface Progress {
    record: RunRecord
    pagesDone: number
    counts: ImportCounts
    total: number | undefined
  }

  async function publish(progress: Progress) {
    const { record, pagesDone, counts, total } = progress
    await events.publish({ ...record, state: 'active', pagesDone, counts: { ...counts }, total })
  }

  async function writePage(
    progress: Progress,
    connection: Connection,
    page: ContactsPage,
    rows: PreparedContacts,
    from: string | undefined,
  ) {
    const { record } = progress
    const seenBy = record.kind === 'incremental' ? undefined : record.id
    const started = performance.now()
    const delta = await inTransaction(db, async (tx) => {
      const claim = await imports.claimPage(tx, record.id, progress.pagesDone)
      if (claim !== 'ours') throw new RunLost(claim)
      if (page.relinked.length > 0) await contacts.relink(tx, connection.id, page.relinked)
      const upserted =
        rows.size > 0
          ? await contacts.upsert(
              tx,
              { personId: connection.personId, connectionId: connection.id, seenBy },
              rows,
            )
          : NO_CHANGES
      const deleted =
        page.deleted.length > 0 ? await contacts.remove(tx, connection.id, page.deleted) : 0
      await imports.addSkips(tx, record.id, progress.counts.skipped, page.skipped)
      const counts = { ...upserted, deleted, skipped: page.skipped.length }
      await imports.savePage(tx, record.id, {
        ...counts,
        total: page.total,
        resume: { next: page.next, from, syncToken: page.syncToken },
      })
      return counts
    })
    progress.pagesDone += 1
    for (const key of Object.keys(delta) as Array<keyof ImportCounts>) {
      progress.counts[key] += delta[key]
    }
    progress.total = page.total ?? progress.total
    log.debug(
      {
        run: record.id,
        page: progress.pagesDone,
        ms: Math.round(performance.now() - started),
        ...delta,
      },
      'import page written',
    )
    await publish(progress)
  }

  /** Reads (from where the run stopped) and writes every page; the provider's new sync token. */
  async function readAndWrite(
    progress: Progress,
    connection: Connection,
    provider: { source: ContactSource; contactsUrl: URL },
    groups: Promise<ReadonlyMap<string, string>>,
    syncToken: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ outcome: 'done' | 'stopped'; syncToken: string | undefined }> {
    const { record } = progress
    const resume = progress.pagesDone > 0 ? record.resume : undefined
    // Every page was written before the run was interrupted: only its end is left.
    if (resume && !resume.next) return { outcome: 'done', syncToken: resume.syncToken }
    const from = record.kind === 'incremental' ? (resume?.from ?? syncToken) : undefined
    let newToken: string | undefined
    const gate = createRequestGate({ origin: provider.contactsUrl.origin })
    const pages = readPages({
      source: provider.source,
      contactsUrl: provider.contactsUrl,
      accessToken: (options) => deps.connections.accessToken(connection, options),
      start: resume?.next,
      pagesBefore: progress.pagesDone,
      options: from ? { syncToken: from } : undefined,
      retry: (read) => backoff.retry(read, signal),
      onRequest: gate.sent,
    })
    // A page's rows (the store's prepare: 60–100 ms of this thread for 1,000 contacts) are
    // computed when it arrives if the page before it is still being written — while that
    // write waits for the database — else as its own write starts.
    let names: ReadonlyMap<string, string> | undefined
    groups.then((found) => (names = found)).catch(() => {})
    const prepared = new WeakMap<ContactsPage, Promise<PreparedContacts>>()
    const prepare = (page: ContactsPage, groupNames: ReadonlyMap<string, string>) =>
      contacts.prepare(page.contacts.map((c) => withGroupNames(c, groupNames)))
    const outcome = await writeAhead(
      pages,
      async (page) => {
        const rows = await (prepared.get(page) ?? prepare(page, await groups))
        await writePage(progress, connection, page, rows, from)
        newToken = page.syncToken ?? newToken
      },
      signal,
      gate,
      (page) => {
        if (names) {
          const rows = prepare(page, names)
          rows.catch(() => {}) // met by the write that awaits it
          prepared.set(page, rows)
        }
      },
    )
    // A provider that sent no new token: the old one still stands for the changes applied.
    return { outcome, syncToken: newToken ?? from }
  }

  async function complete(progress: Progress, connection: Connection, syncToken?: string) {
    const { record } = progress
    const full = record.kind !== 'incremental'
    const swept = await inTransaction(db, async (tx) => {
      const claim = await imports.claimPage(tx, record.id, progress.pagesDone)
      if (claim !== 'ours') throw new RunLost(claim)
      const removed = full ? await contacts.sweep(tx, connection.id, record.id) : 0
      await imports.saveSyncState(tx, connection.id, {
        syncToken,
        lastFullSyncAt: full ? new Date().toISOString() : undefined,
      })
      await imports.finish(tx, record.id, { state: 'completed', deleted: removed })
      return removed
    })
    log.info(
      { run: record.id, connection: connection.id, kind: record.kind, pages: progress.pagesDone },
      'import completed',
    )
    progress.counts.deleted += swept
    const finished = await imports.byId(record.id)
    if (finished) await events.publish(finished)
    await upkeep(record.id, progress.counts)
  }

  /** After the run is complete (and shown so): the table's upkeep, never the run's failure. */
  async function upkeep(runId: string, counts: ImportCounts) {
    const started = performance.now()
    try {
      const done = await upkeepAfterImport(
        db.pool,
        counts.created + counts.updated + counts.deleted,
      )
      if (done !== 'none') {
        log.info(
          { run: runId, upkeep: done, ms: Math.round(performance.now() - started) },
          'contacts table upkeep',
        )
      }
    } catch (err) {
      log.warn({ err, run: runId }, 'contacts table upkeep failed')
    }
  }

  async function fail(runId: string, connection: Connection, err: unknown) {
    // A connection that had already ended (disconnected meanwhile) stays as it is.
    if (needsReconnect(err) && err instanceof AppError && connection.status === 'active') {
      await deps.connections
        .requireReconnect(connection, err.code)
        .catch((cause: unknown) =>
          log.warn({ err: cause, connection: connection.id }, 'connection not marked'),
        )
    }
    const error = importErrorOf(err)
    if (err instanceof AppError && err.expose) {
      const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : ''
      log.warn(
        { run: runId, connection: connection.id, errorCode: err.code, cause: cause.slice(0, 300) },
        'import failed',
      )
    } else {
      log.error({ err, run: runId, connection: connection.id }, 'import failed')
    }
    if (await imports.finish(undefined, runId, { state: 'failed', error })) {
      const failed = await imports.byId(runId)
      if (failed) await events.publish(failed)
    }
  }

  return async function runImport(runId: string, signal?: AbortSignal): Promise<RunOutcome> {
    const found = await imports.byId(runId)
    const connection =
      found && !isFinished(found.state)
        ? await deps.people.connection(found.personId, found.connectionId)
        : undefined
    if (!found || !connection) {
      // Deleted (the person deleted their data), or finished by an earlier holder.
      log.info({ run: runId }, 'import run gone or finished; its job ends')
      return 'gone'
    }
    try {
      const provider = deps.sources.get(connection.provider)
      if (connection.status !== 'active') throw connectionEnded(connection.provider)
      if (!provider) {
        throw new AppError(ErrorCode.UNKNOWN_PROVIDER, 'That provider is no longer configured.', {
          status: 404,
          provider: connection.provider,
        })
      }
      const sync = await imports.syncState(connection.id)
      // A resumed run goes on as it was; a new one reads changes only if it can.
      const kind = found.state === 'active' ? found.kind : sync.syncToken ? 'incremental' : 'full'
      const record = await imports.markActive(runId, kind)
      if (!record) throw new RunLost('gone')
      const progress: Progress = {
        record,
        pagesDone: record.pagesDone,
        counts: { ...record.counts },
        total: record.total,
      }
      await publish(progress)
      // Read while the first page is being fetched, not before: the names are only needed
      // to write that page (whose write waits for them, and fails the run if they failed).
      const groups = backoff.retry(
        () =>
          withAccessToken(
            {
              source: provider.source,
              accessToken: (options) => deps.connections.accessToken(connection, options),
            },
            (token) => provider.source.listGroups(token),
          ),
        signal,
      )
      groups.catch(() => {})
      for (;;) {
        try {
          const read = await readAndWrite(
            progress,
            connection,
            provider,
            groups,
            sync.syncToken,
            signal,
          )
          if (read.outcome === 'stopped') return 'stopped'
          await complete(progress, connection, read.syncToken)
          return 'finished'
        } catch (err) {
          const expired = err instanceof AppError && err.code === ErrorCode.SYNC_TOKEN_EXPIRED
          if (!expired || progress.record.kind !== 'incremental') throw err
          // Read everything again in this run; the sweep at its end catches what the stale
          // token would have missed.
          if (!(await imports.switchToResync(runId, progress.pagesDone))) return 'gone'
          const resync = await imports.byId(runId)
          if (!resync) return 'gone'
          log.info({ run: runId, connection: connection.id }, 'sync token expired; full resync')
          Object.assign(progress, { record: resync, pagesDone: 0, total: undefined })
          await publish(progress)
        }
      }
    } catch (err) {
      if (err instanceof RunLost) {
        log.info({ run: runId, claim: err.message }, 'import run gone or taken over; stopping')
        return 'gone'
      }
      if (signal?.aborted && isAbort(err)) return 'stopped'
      if (isInfrastructureFailure(err)) throw err
      await fail(runId, connection, err)
      return 'finished'
    }
  }
}
