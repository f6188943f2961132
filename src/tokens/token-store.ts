// Token records live in their own Redis hash per grant, outside the express-session blob:
// express-session rewrites the whole session at the end of every request (last write wins),
// which would put stale tokens back after a refresh. Here every update is a compare-and-set
// on a version number, done by one Lua script, so a slow writer can never overwrite a newer
// token set. The secret parts are sealed with AES-256-GCM (cipher.ts), bound to the key, the
// connection's provider and subject and the record's version: a record copied under another
// connection's grant id, or presented for another person's connection, fails to open.
//
// A record lives as long as its connection needs it, not as long as page views touch it:
// until the refresh token's end where the provider tells it, and at most
// CONNECTION_IDLE_DAYS after its last use; without a refresh token, until the access token
// expires. Background imports keep using it after the person has closed the tab.
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'
import { type Cipher, DecryptError } from './cipher.ts'

/** What we know about one grant: the tokens, and what the person may see about them. */
/** Which record, and whose: the connection's provider and subject must match it. */
export interface GrantRef {
  grantId: string
  provider: string
  subject: string
}

export interface TokenSet {
  provider: string
  /** `sub` of the ID token; a refresh must not change it (OIDC Core §12.2). */
  subject: string
  accessToken: string
  refreshToken: string | undefined
  idToken: string | undefined
  /** Epoch seconds. */
  expiresAt: number
  /** Epoch seconds after which the refresh token is useless, where the provider said so. */
  refreshExpiresAt?: number | undefined
  scope: string[]
  createdAt: number
  refreshedAt: number | undefined
}

export interface TokenRecord extends TokenSet {
  version: number
}

export interface TokenStore {
  /** `ttlSeconds` shortens the first lifetime (a sign-in still waiting for a decision). */
  create(grantId: string, tokens: TokenSet, options?: { ttlSeconds?: number }): Promise<TokenRecord>
  /** The record, when it exists and belongs to `ref`'s provider and subject. */
  load(ref: GrantRef): Promise<TokenRecord | undefined>
  /** Writes `tokens` only if the record is still at `version`; undefined when it was not. */
  update(ref: GrantRef, version: number, tokens: TokenSet): Promise<TokenRecord | undefined>
  /** The record was used: it lives CONNECTION_IDLE_DAYS from now (never past its cap). */
  touch(grantId: string): Promise<void>
  remove(grantId: string): Promise<void>
}

// Each record also keeps `c`, the epoch ms after which it is useless (the refresh token's
// end where known, the access token's expiry when there is no refresh token; absent
// otherwise), so a touch never keeps it longer than that.

// KEYS[1] record; ARGV: expected version, sealed data, ttl ms, cap ms (0 = none).
// 1 = written, 0 = lost the race.
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'v')
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tostring(tonumber(ARGV[1]) + 1), 'd', ARGV[2])
if ARGV[4] ~= '0' then redis.call('HSET', KEYS[1], 'c', ARGV[4]) else redis.call('HDEL', KEYS[1], 'c') end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`
// KEYS[1] record; ARGV: sealed data, ttl ms, cap ms (0 = none). 1 = created, 0 = exists.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'd', ARGV[1])
if ARGV[3] ~= '0' then redis.call('HSET', KEYS[1], 'c', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`
// KEYS[1] record; ARGV: ttl ms, now ms.
const TOUCH = `
local cap = tonumber(redis.call('HGET', KEYS[1], 'c') or '0')
local ttl = tonumber(ARGV[1])
if cap > 0 then ttl = math.min(ttl, cap - tonumber(ARGV[2])) end
if ttl <= 0 then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ttl)
`

export function createTokenStore(deps: {
  redis: Redis
  keys: RedisKeys
  cipher: Cipher
  log: Logger
  /** How long an unused record lives: CONNECTION_IDLE_DAYS. */
  idleSeconds: number
}): TokenStore {
  const { redis, keys, cipher, log } = deps
  const idleMs = deps.idleSeconds * 1000
  // Without a refresh token the record is useless once the access token expires.
  const cap = (tokens: TokenSet) =>
    tokens.refreshToken ? (tokens.refreshExpiresAt ?? 0) * 1000 : tokens.expiresAt * 1000
  const ttlMs = (tokens: TokenSet, longest = idleMs) => {
    const end = cap(tokens)
    return end === 0 ? longest : Math.max(1000, Math.min(longest, end - Date.now()))
  }
  // The associated data names the record's place, owner and version (cipher.ts).
  const aad = (key: string, ref: { provider: string; subject: string }, version: number) =>
    JSON.stringify([key, ref.provider, ref.subject, version])
  const seal = (key: string, tokens: TokenSet, version: number) =>
    cipher.seal(JSON.stringify(tokens), aad(key, tokens, version))

  return {
    async create(grantId, tokens, options = {}) {
      const key = keys.tokens(grantId)
      const first = options.ttlSeconds === undefined ? idleMs : options.ttlSeconds * 1000
      const created = await redis.eval(
        CREATE,
        1,
        key,
        seal(key, tokens, 1),
        ttlMs(tokens, first),
        cap(tokens),
      )
      if (created !== 1) throw new Error('token record already exists')
      return { ...tokens, version: 1 }
    },

    async load(ref) {
      const { grantId } = ref
      const key = keys.tokens(grantId)
      const [version, sealed] = await redis.hmget(key, 'v', 'd')
      if (version == null || sealed == null) return undefined
      let tokens: TokenSet
      try {
        tokens = JSON.parse(cipher.open(sealed, aad(key, ref, Number(version)))) as TokenSet
      } catch (err) {
        // Fail closed: a record we cannot authenticate, or one that belongs to another
        // connection, is no record. The person reconnects.
        if (!(err instanceof DecryptError)) throw err
        log.error(
          { err, grantId, provider: ref.provider },
          'token record could not be opened for this connection; treating it as absent',
        )
        return undefined
      }
      if (tokens.provider !== ref.provider || tokens.subject !== ref.subject) {
        log.error({ grantId, provider: ref.provider }, 'token record belongs to another account')
        return undefined
      }
      return { ...tokens, version: Number(version) }
    },

    async update(ref, version, tokens) {
      const key = keys.tokens(ref.grantId)
      const written = await redis.eval(
        COMPARE_AND_SET,
        1,
        key,
        String(version),
        seal(key, tokens, version + 1),
        ttlMs(tokens),
        cap(tokens),
      )
      return written === 1 ? { ...tokens, version: version + 1 } : undefined
    },

    async touch(grantId) {
      await redis.eval(TOUCH, 1, keys.tokens(grantId), idleMs, Date.now())
    },

    async remove(grantId) {
      await redis.del(keys.tokens(grantId))
    },
  }
}
