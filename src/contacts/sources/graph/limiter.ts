// At most a few requests at once per mailbox: Outlook allows 4 concurrent requests per app
// and mailbox, and answers the fifth with 429 (contacts-apis.md §4.4). The mailbox is known
// here only by the access token that reaches it, so the limit is per token; one connection
// is read by one run at a time (imports_one_running), so a refresh mid-run changes the key
// only between two calls.
import { createHash } from 'node:crypto'

export const MAX_CONCURRENT_PER_MAILBOX = 4

export function createMailboxLimiter(max = MAX_CONCURRENT_PER_MAILBOX) {
  const mailboxes = new Map<string, { running: number; waiting: Array<() => void> }>()
  // The token itself is not kept as a key: a digest is enough to tell mailboxes apart.
  const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url')

  return async function limit<T>(accessToken: string, call: () => Promise<T>): Promise<T> {
    const key = keyOf(accessToken)
    let slot = mailboxes.get(key)
    if (!slot) {
      slot = { running: 0, waiting: [] }
      mailboxes.set(key, slot)
    }
    const mine = slot
    if (mine.running >= max) await new Promise<void>((resolve) => mine.waiting.push(resolve))
    else mine.running += 1
    try {
      return await call()
    } finally {
      const next = mine.waiting.shift()
      if (next) next()
      else {
        mine.running -= 1
        if (mine.running === 0) mailboxes.delete(key)
      }
    }
  }
}

/**
 * Runs `work` over `items`, at most `max` at a time, results in the order of `items`. After
 * a failure no new item starts, and the first failure is thrown only once every started
 * item has ended: nothing of this call is still talking to the provider when it returns.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  max: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  let failed = false
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++
      try {
        results[index] = await work(items[index] as T)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  await settled(Array.from({ length: Math.min(max, items.length) }, worker))
  return results
}

/** Like Promise.all, but waits for every promise to end before throwing the first failure. */
export async function settled<T extends readonly unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const outcomes = await Promise.allSettled(promises)
  const failure = outcomes.find((o) => o.status === 'rejected')
  if (failure) throw (failure as PromiseRejectedResult).reason
  return outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value) as unknown as T
}
