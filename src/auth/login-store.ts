// Pending sign-ins: one Redis record per authorization request, keyed by its `state`, with
// a short TTL, consumed atomically (GETDEL) so a callback URL works once (RFC 9700 §4.2.4).
// One record per flow, not one slot per session, so several tabs can sign in at once.
import { createHash } from 'node:crypto'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'

export interface PendingLogin {
  provider: string
  issuer: string
  nonce: string
  codeVerifier: string
  returnTo: string
  /** SHA-256 of the browser key of the session that started it. */
  browser: string
  createdAt: number
}

/** What a pending sign-in stores of the browser's key: enough to compare, not to reuse. */
export function browserFingerprint(browserKey: string): string {
  return createHash('sha256').update(browserKey).digest('base64url')
}

export interface LoginStore {
  /** How long a pending sign-in lives. */
  readonly ttlSeconds: number
  save(state: string, login: PendingLogin): Promise<void>
  /** The pending sign-in, removed in the same step; undefined when unknown or used. */
  consume(state: string): Promise<PendingLogin | undefined>
}

export function createLoginStore(deps: {
  redis: Redis
  keys: RedisKeys
  ttlSeconds: number
}): LoginStore {
  const { redis, keys } = deps
  return {
    ttlSeconds: deps.ttlSeconds,
    async save(state, login) {
      const ok = await redis.set(
        keys.login(state),
        JSON.stringify(login),
        'EX',
        deps.ttlSeconds,
        'NX',
      )
      if (ok !== 'OK') throw new Error('state collision')
    },
    async consume(state) {
      const raw = await redis.getdel(keys.login(state))
      return raw === null ? undefined : (JSON.parse(raw) as PendingLogin)
    },
  }
}
