// What the progress page shows of a run: the bar's value and max, one sentence of status,
// the counts, and the way forward when it failed. public/import-progress.js says the same
// things in the browser as the events arrive; keep the two in step.
import type { RunSnapshot } from '../imports/import-events.ts'
import { isFinished } from '../imports/import-events.ts'
import { RECONNECT_CODES } from '../imports/run-errors.ts'
import { loginHref } from './login-links.ts'

export interface ImportView {
  run: RunSnapshot
  providerLabel: string
  heading: string
  status: string
  /** The bar: value and max, or undefined for an indeterminate one (total not known yet). */
  progress: { value: number; max: number } | undefined
  finished: boolean
  /** A failed run that a new one may mend: the retry button posts this connection. */
  retryConnection: string | undefined
  /** A failed run that needs the account reconnected first. */
  reconnectHref: string | undefined
}

const number = (n: number) => n.toLocaleString('en-US')

/** Records the run has been through: what moves the bar. */
export const processed = (run: RunSnapshot) =>
  run.counts.created + run.counts.updated + run.counts.unchanged + run.counts.skipped

export function statusOf(run: RunSnapshot, providerLabel: string): string {
  const done = processed(run)
  switch (run.state) {
    case 'waiting':
      return `Waiting to start the import from ${providerLabel}…`
    case 'active':
      if (run.pagesDone === 0) return `Reading your contacts from ${providerLabel}…`
      return run.total !== null && run.kind !== 'incremental'
        ? `${number(Math.min(done, run.total))} of ${number(run.total)} contacts imported…`
        : `${number(done)} contacts read so far…`
    case 'completed':
      return `Import complete: ${number(run.counts.created)} new, ${number(run.counts.updated)} updated, ${number(run.counts.deleted)} deleted, ${number(run.counts.unchanged)} unchanged, ${number(run.counts.skipped)} skipped.`
    case 'failed':
      return `The import failed: ${run.error?.message ?? 'unknown reason.'}`
  }
}

function progressOf(run: RunSnapshot): ImportView['progress'] {
  if (isFinished(run.state)) return { value: 1, max: 1 }
  const done = processed(run)
  if (run.total === null || run.kind === 'incremental') return undefined
  return { value: Math.min(done, run.total), max: Math.max(run.total, 1) }
}

const HEADINGS = {
  waiting: 'Import waiting to start',
  active: 'Importing your contacts',
  completed: 'Import complete',
  failed: 'Import failed',
} as const

export function importView(run: RunSnapshot, provider: { id: string; label: string }): ImportView {
  const failed = run.state === 'failed' ? run.error : null
  const reconnect = failed ? RECONNECT_CODES.has(failed.code) : false
  return {
    run,
    providerLabel: provider.label,
    heading: HEADINGS[run.state],
    status: statusOf(run, provider.label),
    progress: progressOf(run),
    finished: isFinished(run.state),
    retryConnection: failed?.retryable && !reconnect ? run.connectionId : undefined,
    reconnectHref: reconnect ? loginHref(provider.id, '/contacts') : undefined,
  }
}
