// One-time use of every `state` (RFC 9700 §4.2.4), across all instances: the callback
// writes a marker named by the state's hash only if none is there yet (SET NX), so exactly
// one request gets to exchange the code. It lives as long as the state could still be
// accepted, and no longer. Nothing is written until a callback brings a state this app
// issued together with the browser's matching pending sign-in, so forged callbacks, and
// sign-ins that are started but never finished, leave nothing in Redis.
import { createHash } from 'node:crypto'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'

export interface ConsumedStates {
  /** True for the first use of `state`, false for every later one. */
  consume(state: string, expiresAt: number): Promise<boolean>
  /** Whether `state` was already used (while it could still have been valid). */
  wasConsumed(state: string): Promise<boolean>
}

const hashOf = (state: string) => createHash('sha256').update(state).digest('base64url')

export function createConsumedStates(deps: { redis: Redis; keys: RedisKeys }): ConsumedStates {
  const { redis, keys } = deps
  return {
    async consume(state, expiresAt) {
      const ttlMs = Math.max(1000, expiresAt - Date.now())
      const ok = await redis.set(keys.consumedState(hashOf(state)), '1', 'PX', ttlMs, 'NX')
      return ok === 'OK'
    },
    async wasConsumed(state) {
      return (await redis.exists(keys.consumedState(hashOf(state)))) === 1
    },
  }
}
