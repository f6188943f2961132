// The "Sources" panels of the address book: per connection, what the person may know of
// it (web/connection.ts: provider, account, access), how many contacts it brought, its
// last import (when, and what changed) and what can be done next — import now, reconnect,
// connect again, or remove it. View models only; the templates decide the words around them.
import type { ImportCounts, ImportRun, ImportState } from '../imports/imports-store.ts'
import type { ConnectionView } from './connection.ts'

export interface LastImport {
  id: string
  state: ImportState
  /** When it finished, else when it started, else when it was asked for. */
  at: Date
  counts: ImportCounts
  /** Why it failed, in the words the import engine chose for the person. */
  error: string | undefined
  running: boolean
}

export interface SourceView extends ConnectionView {
  contacts: number
  lastImport: LastImport | undefined
  /** Active with its tokens: the "Import now" button is offered. */
  canImport: boolean
  /**
   * It cannot be used (its grant ended, or it was disconnected): "Reconnect" / "Connect
   * again" runs the connect flow for it (POST /connect, auth/start-connect.ts).
   */
  canReconnect: boolean
}

function lastImportOf(run: ImportRun | undefined): LastImport | undefined {
  if (!run) return undefined
  return {
    id: run.id,
    state: run.state,
    at: run.finishedAt ?? run.startedAt ?? run.createdAt,
    counts: run.counts,
    error: run.error?.message,
    running: run.state === 'waiting' || run.state === 'active',
  }
}

export function sourcesView(
  connections: readonly ConnectionView[],
  counts: ReadonlyMap<string, number>,
  latest: ReadonlyMap<string, ImportRun>,
): SourceView[] {
  return connections.map((connection) => ({
    ...connection,
    contacts: counts.get(connection.id) ?? 0,
    lastImport: lastImportOf(latest.get(connection.id)),
    // Active with tokens in the vault: anything else would fail at the first page.
    canImport: connection.connected,
    canReconnect: !connection.connected,
  }))
}
