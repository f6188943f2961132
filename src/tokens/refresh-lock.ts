// A lease in Redis that lets one process at a time refresh a grant. It has an owner token
// (only the holder can extend or release it), a length at least as long as the token
// call's timeout, renewals while the call runs (a slow provider never lets a second refresh
// in: peers.md §4.1), and an expiry, so a crashed holder blocks the grant for one lease at
// most. A holder whose refresh fails leaves a short note under its owner token, so the
// callers waiting on that very attempt fail fast instead of each trying again.
import { randomBytes } from 'node:crypto'
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'

export interface Lease {
  /** Renews the lease every third of its length until stopped. */
  keepAlive(): { stop(): void }
  /** Tells the callers waiting on this attempt that it failed, and with which code. */
  fail(code: string): Promise<void>
  release(): Promise<void>
}

export interface RefreshLock {
  acquire(grantId: string): Promise<Lease | undefined>
  /** The owner of the current lease; undefined when nobody holds it. */
  holder(grantId: string): Promise<string | undefined>
  /** The code a failed attempt by `owner` left behind, if any. */
  failureOf(grantId: string, owner: string): Promise<string | undefined>
}

// KEYS[1] lock; ARGV[1] owner, ARGV[2] lease ms. 1 = renewed, 0 = not ours any more.
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

export function createRefreshLock(deps: {
  redis: Redis
  keys: RedisKeys
  log: Logger
  leaseMs: number
  /** How long a failure note lives. */
  failureMemoMs?: number
}): RefreshLock {
  const { redis, keys, log, leaseMs } = deps
  const failureMemoMs = deps.failureMemoMs ?? 2000
  return {
    async acquire(grantId) {
      const key = keys.refreshLock(grantId)
      const owner = randomBytes(16).toString('base64url')
      const taken = await redis.set(key, owner, 'PX', leaseMs, 'NX')
      if (taken !== 'OK') return undefined
      return {
        keepAlive() {
          const timer = setInterval(
            () => {
              redis.eval(EXTEND, 1, key, owner, leaseMs).then(
                (renewed) => {
                  // Another process may take the lease now and refresh a second time.
                  if (renewed !== 1) log.error({ grantId }, 'refresh lease lost while refreshing')
                },
                (err: unknown) => log.warn({ err, grantId }, 'refresh lease could not be renewed'),
              )
            },
            Math.max(10, Math.floor(leaseMs / 3)),
          )
          timer.unref()
          return { stop: () => clearInterval(timer) }
        },
        async fail(code) {
          const note = JSON.stringify({ owner, code })
          await redis.set(keys.refreshFailure(grantId), note, 'PX', failureMemoMs)
        },
        async release() {
          await redis.eval(RELEASE, 1, key, owner)
        },
      }
    },

    async holder(grantId) {
      return (await redis.get(keys.refreshLock(grantId))) ?? undefined
    },

    async failureOf(grantId, owner) {
      const raw = await redis.get(keys.refreshFailure(grantId))
      const note = raw ? (JSON.parse(raw) as { owner: string; code: string }) : undefined
      return note?.owner === owner ? note.code : undefined
    },
  }
}
