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

/** Runs `work` over `items`, at most `max` at a time, in order of results. */
export async function mapLimited<T, R>(
  items: readonly T[],
  max: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(max, items.length) }, worker))
  return results
}
