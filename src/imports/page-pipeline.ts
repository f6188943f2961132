// Fetching and writing overlap: while page n is being written, page n+1 is already being
// fetched — one page ahead and no more, so an import holds at most two pages in memory
// whatever the size of the book, and the provider's latency hides the database's.
// A stop request (SIGTERM) is honoured between pages: the page being written commits, the
// page being fetched is dropped (its cursor is saved, so it is read again on resume).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'

export type PipelineOutcome = 'done' | 'stopped'

/**
 * Says when the page asked for next has actually been requested. Writing a page is work on
 * this thread (its rows: 60–100 ms for 1,000 contacts, more on a busy machine), and
 * everything the next page's request waits for — the access token's round trips to Redis,
 * then the request itself — waits behind it on the event loop. Traced before the gate
 * (bench/import, 25 pages): the next request reached the provider up to 230 ms after its
 * page had arrived, its latency starting only after the write's preparation.
 * The reader calls `sent()` as each request is made (readPages' onRequest, the access
 * token in hand); the gate opens once that request's headers are on its socket — what
 * Node's fetch (undici) publishes on the diagnostics channel `undici:client:sendHeaders` —
 * for a request to `origin`. Traced with a provider's latency: fetch writes the headers a
 * few turns of the event loop after it is called, 8–32 ms later when those turns each wait
 * for a slice of the write's work, and that delay was added to every page. A fetch that
 * publishes nothing (another implementation) opens it after MAX_SEND_WAIT_MS.
 */
export interface RequestGate {
  sent(): void
}

/** Node's fetch (undici) publishes here as a request's headers are written to its socket. */
const HEADERS_WRITTEN = 'undici:client:sendHeaders'

/** However the request goes out, the write waits no longer than this for it. */
export const MAX_SEND_WAIT_MS = 50

const originOf = (message: unknown) => {
  const request = (message as { request?: { origin?: unknown } } | undefined)?.request
  return typeof request?.origin === 'string' ? request.origin : undefined
}

export function createRequestGate(options: { origin?: string } = {}): RequestGate & {
  arm(): void
  wait(read: Promise<unknown>): Promise<void>
} {
  let open = false
  let release: (() => void) | undefined
  let onHeaders: ((message: unknown) => void) | undefined
  let timer: NodeJS.Timeout | undefined
  const stopWatching = () => {
    if (onHeaders) unsubscribe(HEADERS_WRITTEN, onHeaders)
    onHeaders = undefined
    clearTimeout(timer)
    timer = undefined
  }
  const openNow = () => {
    stopWatching()
    open = true
    release?.()
  }
  return {
    /** Before each read is asked for (and to stop watching, at the end). */
    arm() {
      stopWatching()
      open = false
      release = undefined
    },
    sent() {
      stopWatching()
      open = false
      onHeaders = (message) => {
        // Another request of this process (another import's) may open it early: harmless,
        // the gate only decides when a write starts, never what is written.
        if (options.origin === undefined || originOf(message) === options.origin) openNow()
      }
      subscribe(HEADERS_WRITTEN, onHeaders)
      timer = setTimeout(openNow, MAX_SEND_WAIT_MS)
      timer.unref()
    },
    /**
     * Until the request is out, or the read has ended without one (the last page, a
     * failure). Never rejects: a failed read is met where it is awaited.
     */
    wait(read) {
      if (open) return Promise.resolve()
      return new Promise<void>((resolve) => {
        release = resolve
        const settled = () => {
          stopWatching()
          resolve()
        }
        read.then(settled, settled)
      })
    },
  }
}

export async function writeAhead<T>(
  pages: AsyncGenerator<T, void>,
  write: (page: T) => Promise<void>,
  signal?: AbortSignal,
  gate?: ReturnType<typeof createRequestGate>,
  /**
   * Called with a page that arrives while the page before it is still being written, at
   * once: work done here on this thread (preparing the page's rows) runs while the write
   * waits for the database, instead of after it. A page that arrives when no write is
   * under way is not passed here: it goes straight to the loop, which asks for the next
   * page first (with a provider's latency, work done on arrival would delay that request).
   */
  ahead?: (page: T) => void,
): Promise<PipelineOutcome> {
  let writing = false
  const next = () => {
    const read = pages.next()
    if (ahead) {
      read.then(
        (result) => {
          if (writing && !result.done) ahead(result.value)
        },
        () => {},
      )
    }
    return read
  }
  gate?.arm()
  let pending = next()
  // Stopped before the first page came (the signal may already be aborted): its failure,
  // an aborted backoff wait say, must not surface as an unhandled rejection.
  pending.catch(() => {})
  try {
    for (;;) {
      const result = await untilAborted(pending, signal)
      if (result === 'aborted') return 'stopped'
      if (result.done) return 'done'
      // Asked now, so it is fetched while this one is written. readPages requests nothing
      // after the last page (it returns), so this never reads past the end.
      gate?.arm()
      pending = next()
      // A failure of the page ahead is met when it is awaited, not as an unhandled rejection.
      pending.catch(() => {})
      await gate?.wait(pending)
      writing = true
      try {
        await write(result.value)
      } finally {
        writing = false
      }
      if (signal?.aborted) return 'stopped'
    }
  } finally {
    gate?.arm()
    // Leaves a fetch still under way to finish unheard; nothing more is requested.
    pages.return(undefined).catch(() => {})
  }
}

function untilAborted<R>(promise: Promise<R>, signal: AbortSignal | undefined) {
  if (!signal) return promise
  if (signal.aborted) return Promise.resolve('aborted' as const)
  return new Promise<R | 'aborted'>((resolve, reject) => {
    const onAbort = () => resolve('aborted')
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
