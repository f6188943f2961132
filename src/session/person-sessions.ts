// Which sessions a person is signed in with, so "sign out everywhere" can end them all: a
// Redis set of session ids per person, written at each sign-in and living as long as the
// longest session can (SESSION_MAX_AGE_SECONDS). Ids of sessions that ended on their own
// are harmless: deleting a missing session does nothing.
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'

export interface PersonSessions {
  add(personId: string, sessionId: string): Promise<void>
  /** Deletes every session of the person; returns how many still existed. */
  endAll(personId: string): Promise<number>
}

export function createPersonSessions(deps: {
  redis: Redis
  keys: RedisKeys
  maxAgeSeconds: number
}): PersonSessions {
  const { redis, keys } = deps
  return {
    async add(personId, sessionId) {
      const key = keys.personSessions(personId)
      await redis.multi().sadd(key, sessionId).expire(key, deps.maxAgeSeconds).exec()
    },
    async endAll(personId) {
      const key = keys.personSessions(personId)
      const ids = await redis.smembers(key)
      const ended = ids.length
        ? await redis.del(...ids.map((id) => `${keys.sessionPrefix}${id}`))
        : 0
      await redis.del(key)
      return ended
    },
  }
}
