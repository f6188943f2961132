// Retries of a provider call that failed for a passing reason (429, 5xx, the network:
// AppErrors marked retryable). Waits grow exponentially with "full jitter" — a random delay
// between 0 and min(cap, base · 2^attempt) — so that many imports throttled at once do not
// come back in step (AWS Architecture Blog, "Exponential Backoff And Jitter"). A
// Retry-After the provider sent is honoured instead (seconds or an HTTP date, parsed in
// contacts/source-errors.ts), up to `maxWaitMs`. The tries are bounded: after the last one,
// the error stands and the run fails with it (a retry button for the person).
import { setTimeout as sleep } from 'node:timers/promises'
import { AppError } from '../errors.ts'

export interface BackoffSettings {
  /** First delay's ceiling. */
  baseMs: number
  /** No delay's ceiling grows beyond this. */
  capMs: number
  /** Attempts in all, the first included. */
  tries: number
  /** A Retry-After longer than this is not waited for: the run fails (and can be retried). */
  maxWaitMs: number
}

/** Real defaults: about two minutes of retries in the worst case, a few seconds usually. */
export const DEFAULT_BACKOFF: BackoffSettings = {
  baseMs: 1000,
  capMs: 64_000,
  tries: 7,
  maxWaitMs: 5 * 60_000,
}

export interface Backoff {
  /** `read()`, again after a wait while it fails retryably; stops waiting when `signal` aborts. */
  retry<T>(read: () => Promise<T>, signal?: AbortSignal): Promise<T>
}

export function createBackoff(
  settings: Partial<BackoffSettings> = {},
  deps: { random?: () => number; onRetry?: (err: AppError, waitMs: number) => void } = {},
): Backoff {
  const { baseMs, capMs, tries, maxWaitMs } = { ...DEFAULT_BACKOFF, ...settings }
  const random = deps.random ?? Math.random

  function delayFor(err: AppError, attempt: number): number | undefined {
    if (err.retryAfterSeconds !== undefined) {
      const wait = err.retryAfterSeconds * 1000
      return wait <= maxWaitMs ? wait : undefined
    }
    return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt))
  }

  return {
    async retry(read, signal) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await read()
        } catch (err) {
          if (!(err instanceof AppError && err.retryable) || attempt + 1 >= tries) throw err
          const wait = delayFor(err, attempt)
          if (wait === undefined) throw err
          deps.onRetry?.(err, wait)
          // An aborted wait rejects with the signal's AbortError: the caller is stopping.
          await sleep(wait, undefined, { signal })
        }
      }
    },
  }
}
