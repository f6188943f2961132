// Import runs in PostgreSQL (migration 0002): one row per run of one connection, its
// state, counts and the cursor it resumes from, kept after it ends as the person's history.
import type { SkippedRecord } from '../contacts/contact-source.ts'

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
