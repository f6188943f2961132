// The one place that builds the Redis client, and the one place that knows how ioredis
// reports "Redis is not there" so the error handler can answer 503 instead of 500.
import { Redis } from 'ioredis'

export type { Redis }

export function createRedis(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    // Fail fast while disconnected instead of queueing: a request that waits for a dead
    // Redis holds a socket and then fails anyway. The caller gets a 503 it can retry.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  })
}

const UNAVAILABLE_MESSAGES = [
  "Stream isn't writeable",
  'Connection is closed',
  'Command timed out',
  'connect ECONNREFUSED',
  'connect ETIMEDOUT',
]

export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'MaxRetriesPerRequestError') return true
  return UNAVAILABLE_MESSAGES.some((m) => err.message.includes(m))
}
