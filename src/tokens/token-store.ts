// Token records live in their own Redis hash per grant, outside the express-session blob:
// express-session rewrites the whole session at the end of every request (last write wins),
// which would put stale tokens back after a refresh. Here every update is a compare-and-set
// on a version number, done by one Lua script, so a slow writer can never overwrite a newer
// token set. The secret parts are sealed with AES-256-GCM (cipher.ts).
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'
import { type Cipher, DecryptError } from './cipher.ts'

/** What we know about one grant: the tokens, and what the person may see about them. */
export interface TokenSet {
  provider: string
  /** `sub` of the ID token; a refresh must not change it (OIDC Core §12.2). */
  subject: string
  accessToken: string
  refreshToken: string | undefined
  idToken: string | undefined
  /** Epoch seconds. */
  expiresAt: number
  scope: string[]
  createdAt: number
  refreshedAt: number | undefined
}

export interface TokenRecord extends TokenSet {
  version: number
}

export interface TokenStore {
  create(grantId: string, tokens: TokenSet): Promise<TokenRecord>
  load(grantId: string): Promise<TokenRecord | undefined>
  /** Writes `tokens` only if the record is still at `version`; undefined when it was not. */
  update(grantId: string, version: number, tokens: TokenSet): Promise<TokenRecord | undefined>
  /** Keeps an in-use record alive as long as the session that uses it. */
  touch(grantId: string): Promise<void>
  remove(grantId: string): Promise<void>
}

// Each record also keeps `c`, the epoch ms after which it is useless (its access token's
// expiry when there is no refresh token; absent otherwise), so a touch never keeps it
// longer than that.

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
  /** How long an untouched record lives: the session's idle lifetime. */
  ttlSeconds: number
}): TokenStore {
  const { redis, keys, cipher, log } = deps
  const sessionTtl = deps.ttlSeconds * 1000
  // Without a refresh token the record is useless once the access token expires.
  const cap = (tokens: TokenSet) => (tokens.refreshToken ? 0 : tokens.expiresAt * 1000)
  const ttlMs = (tokens: TokenSet) =>
    tokens.refreshToken
      ? sessionTtl
      : Math.max(1000, Math.min(sessionTtl, cap(tokens) - Date.now()))
  const seal = (key: string, tokens: TokenSet) => cipher.seal(JSON.stringify(tokens), key)

  return {
    async create(grantId, tokens) {
      const key = keys.tokens(grantId)
      const created = await redis.eval(
        CREATE,
        1,
        key,
        seal(key, tokens),
        ttlMs(tokens),
        cap(tokens),
      )
      if (created !== 1) throw new Error('token record already exists')
      return { ...tokens, version: 1 }
    },

    async load(grantId) {
      const key = keys.tokens(grantId)
      const [version, sealed] = await redis.hmget(key, 'v', 'd')
      if (version == null || sealed == null) return undefined
      try {
        const tokens = JSON.parse(cipher.open(sealed, key)) as TokenSet
        return { ...tokens, version: Number(version) }
      } catch (err) {
        // Fail closed: a record we cannot authenticate is no record. The person reconnects.
        if (!(err instanceof DecryptError)) throw err
        log.error({ err, grantId }, 'token record could not be decrypted; treating it as absent')
        return undefined
      }
    },

    async update(grantId, version, tokens) {
      const key = keys.tokens(grantId)
      const written = await redis.eval(
        COMPARE_AND_SET,
        1,
        key,
        String(version),
        seal(key, tokens),
        ttlMs(tokens),
        cap(tokens),
      )
      return written === 1 ? { ...tokens, version: version + 1 } : undefined
    },

    async touch(grantId) {
      await redis.eval(TOUCH, 1, keys.tokens(grantId), sessionTtl, Date.now())
    },

    async remove(grantId) {
      await redis.del(keys.tokens(grantId))
    },
  }
}
