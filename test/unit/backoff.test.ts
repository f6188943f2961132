// The retries of a provider call: full jitter under an exponential ceiling, the provider's
// Retry-After when it sent one, bounded tries, and a wait that a stop request cuts short.
import { describe, expect, it } from 'vitest'
import { contactsBadResponse, contactsUnavailable } from '../../src/contacts/source-errors.ts'
import { AppError } from '../../src/errors.ts'
import { createBackoff, DEFAULT_BACKOFF } from '../../src/imports/backoff.ts'

/** A call that fails with `errors` in turn, then answers 'ok'. */
function flaky(errors: Error[]) {
  let calls = 0
  return {
    get calls() {
      return calls
    },
    read: async () => {
      const err = errors[calls++]
      if (err) throw err
      return 'ok'
    },
  }
}

describe('backoff', () => {
  it('when a call fails retryably, then it waits a random time under a doubling ceiling, capped, and tries again', async () => {
    const waits: number[] = []
    const backoff = createBackoff(
      { baseMs: 10, capMs: 40, tries: 6 },
      { random: () => 0.999, onRetry: (_err, ms) => waits.push(ms) },
    )
    const call = flaky(Array.from({ length: 5 }, () => contactsUnavailable('demo')))

    expect(await backoff.retry(call.read)).toBe('ok')
    expect(call.calls).toBe(6)
    // 0.999 × min(40, 10·2^n): 9, 19, 39, then the cap.
    expect(waits).toEqual([9, 19, 39, 39, 39])
  })

  it('when jitter draws zero, then there is no wait at all (full jitter spans 0 to the ceiling)', async () => {
    const waits: number[] = []
    const backoff = createBackoff(
      { baseMs: 1000 },
      { random: () => 0, onRetry: (_e, ms) => waits.push(ms) },
    )
    expect(await backoff.retry(flaky([contactsUnavailable('demo')]).read)).toBe('ok')
    expect(waits).toEqual([0])
  })

  it('when the provider sent Retry-After, then exactly that is waited, and one beyond the limit is not waited for', async () => {
    const waits: number[] = []
    const backoff = createBackoff(
      { baseMs: 1, maxWaitMs: 60_000 },
      { onRetry: (_e, ms) => waits.push(ms) },
    )
    const soon = contactsUnavailable('demo', { retryAfter: '0' })
    expect(await backoff.retry(flaky([soon]).read)).toBe('ok')
    expect(waits).toEqual([0])

    const tooLate = contactsUnavailable('demo', { retryAfter: '3600' })
    await expect(backoff.retry(flaky([tooLate]).read)).rejects.toBe(tooLate)
  })

  it('when every try fails, then the last error stands after `tries` calls', async () => {
    const errors = Array.from({ length: 10 }, () => contactsUnavailable('demo'))
    const call = flaky(errors)
    const backoff = createBackoff({ baseMs: 1, capMs: 1, tries: 3 })
    await expect(backoff.retry(call.read)).rejects.toBe(errors[2])
    expect(call.calls).toBe(3)
  })

  it('when the failure is not retryable, then it is not tried again', async () => {
    const bad = contactsBadResponse('demo')
    const call = flaky([bad])
    await expect(createBackoff({ baseMs: 1 }).retry(call.read)).rejects.toBe(bad)
    expect(call.calls).toBe(1)
    const plain = new Error('a bug')
    await expect(createBackoff({ baseMs: 1 }).retry(flaky([plain]).read)).rejects.toBe(plain)
  })

  it('when a stop is asked for during a wait, then the wait ends at once with an AbortError', async () => {
    const controller = new AbortController()
    const backoff = createBackoff({ baseMs: 60_000, capMs: 60_000 }, { random: () => 1 })
    const started = Date.now()
    const retried = backoff.retry(flaky([contactsUnavailable('demo')]).read, controller.signal)
    setTimeout(() => controller.abort(), 20)
    await expect(retried).rejects.toMatchObject({ name: 'AbortError' })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('has real defaults: a base of a second, a cap of 64 seconds, bounded tries', () => {
    expect(DEFAULT_BACKOFF).toMatchObject({ baseMs: 1000, capMs: 64_000 })
    expect(DEFAULT_BACKOFF.tries).toBeGreaterThan(3)
    expect(DEFAULT_BACKOFF.tries).toBeLessThan(12)
    expect(contactsUnavailable('demo')).toBeInstanceOf(AppError)
  })
})
