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

/**
 * A connection for BullMQ (and the import events' subscriber), with the options BullMQ's
 * documentation requires: `maxRetriesPerRequest: null`, so that a blocking command waits
 * through a reconnect instead of failing (docs.bullmq.io, "Going to production"); not the
 * web client's fail-fast settings above. A `producer` (a queue that web requests add to)
 * still fails at once while Redis is away, as BullMQ advises for HTTP handlers, so a click
 * gets a 503 instead of hanging; a worker's connection queues its commands until Redis is
 * back, and reconnects for ever.
 */
export function createQueueRedis(url: string, role: 'producer' | 'worker'): Redis {
  return new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 500, 5000),
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
