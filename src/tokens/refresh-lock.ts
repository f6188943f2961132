// A lease in Redis that lets one process at a time refresh a grant. It has an owner token
// (only the holder can extend or release it), a lease that the holder extends while the
// token call runs (so a slow provider does not let a second refresh in: peers.md §4.1),
// and an expiry, so a crashed holder blocks the grant for one lease at most.
import { randomBytes } from 'node:crypto'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'

export interface Lease {
  /** Extends the lease every third of its length until stopped. */
  keepAlive(): { stop(): void }
  release(): Promise<void>
}

export interface RefreshLock {
  acquire(grantId: string): Promise<Lease | undefined>
  isHeld(grantId: string): Promise<boolean>
}

// KEYS[1] lock; ARGV[1] owner, ARGV[2] lease ms.
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
  leaseMs: number
}): RefreshLock {
  const { redis, keys, leaseMs } = deps
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
              redis.eval(EXTEND, 1, key, owner, leaseMs).catch(() => {})
            },
            Math.max(10, Math.floor(leaseMs / 3)),
          )
          timer.unref()
          return { stop: () => clearInterval(timer) }
        },
        async release() {
          await redis.eval(RELEASE, 1, key, owner)
        },
      }
    },
    async isHeld(grantId) {
      return (await redis.exists(keys.refreshLock(grantId))) === 1
    },
  }
}
