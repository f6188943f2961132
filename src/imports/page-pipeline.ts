// Fetching and writing overlap: while page n is being written, page n+1 is already being
// fetched — one page ahead and no more, so an import holds at most two pages in memory
// whatever the size of the book, and the provider's latency hides the database's.
// A stop request (SIGTERM) is honoured between pages: the page being written commits, the
// page being fetched is dropped (its cursor is saved, so it is read again on resume).
export type PipelineOutcome = 'done' | 'stopped'

/**
 * Says when the page asked for next has actually been requested. Writing a page starts
 * with a block of work on this thread (its columns, its JSON, the statement's buffers:
 * 60–100 ms for 1,000 contacts, more on a busy machine), and everything the next page's
 * request waits for — the access token's round trips to Redis, then the request itself —
 * waits behind it on the event loop. Traced before the gate (bench/import, 25 pages): the
 * next request reached the provider up to 230 ms after its page had arrived, 0.7–2.4 s
 * later in all than when only reading, its latency starting only after the write's
 * preparation. The reader calls `sent()` as each request goes out (readPages'
 * onRequest); the pipeline starts the write only then.
 */
export interface RequestGate {
  sent(): void
}

export function createRequestGate(): RequestGate & {
  arm(): void
  wait(read: Promise<unknown>): Promise<void>
} {
  let open = false
  let release: (() => void) | undefined
  return {
    /** Before each read is asked for. */
    arm() {
      open = false
      release = undefined
    },
    sent() {
      open = true
      release?.()
    },
    /**
     * Until the request is out — and one more turn of the event loop, so that fetch has
     * written it to its socket — or the read has ended without one (the last page, a
     * failure). Never rejects: a failed read is met where it is awaited.
     */
    wait(read) {
      const turn = () => new Promise<void>((resolve) => setImmediate(resolve))
      if (open) return turn()
      return new Promise<void>((resolve) => {
        release = () => void turn().then(resolve)
        read.then(
          () => resolve(),
          () => resolve(),
        )
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
