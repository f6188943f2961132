// Fetching and writing overlap: while page n is being written, page n+1 is already being
// fetched — one page ahead and no more, so an import holds at most two pages in memory
// whatever the size of the book, and the provider's latency hides the database's.
// A stop request (SIGTERM) is honoured between pages: the page being written commits, the
// page being fetched is dropped (its cursor is saved, so it is read again on resume).
export type PipelineOutcome = 'done' | 'stopped'

export async function writeAhead<T>(
  pages: AsyncGenerator<T, void>,
  write: (page: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<PipelineOutcome> {
  let pending = pages.next()
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
      pending = pages.next()
      // A failure of the page ahead is met when it is awaited, not as an unhandled rejection.
      pending.catch(() => {})
      await write(result.value)
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
