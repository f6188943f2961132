// The domain services, built from their dependencies. Shared by every entry point (the web
// app now, a worker later), so they never see a request or a response.
import type { LoginStore } from './auth/login-store.ts'
import { createLoginStore } from './auth/login-store.ts'
import type { ProviderClient } from './auth/provider-client.ts'
import type { Config } from './config.ts'
import { type ContactsReader, createContactsReader } from './contacts/list-contacts.ts'
import type { Database } from './db/database.ts'
import type { Logger } from './log.ts'
import type { Redis } from './redis.ts'
import { createRedisKeys, type RedisKeys } from './redis-keys.ts'
import { type AccessTokens, createAccessTokens } from './tokens/access-tokens.ts'
import { createCipher } from './tokens/cipher.ts'
import { createRefreshLock } from './tokens/refresh-lock.ts'
import { createGrantRevoker, type GrantRevoker } from './tokens/revoke-grant.ts'
import { createTokenStore, type TokenStore } from './tokens/token-store.ts'

export interface Services {
  keys: RedisKeys
  logins: LoginStore
  tokens: TokenStore
  accessTokens: AccessTokens
  revoker: GrantRevoker
  contacts: ContactsReader
}

/** A pending sign-in lives this long: time to log in and consent at the provider. */
const LOGIN_TTL_SECONDS = 600

export function createServices(deps: {
  config: Config
  log: Logger
  redis: Redis
  /** PostgreSQL: people and their connections. */
  db: Database
  providers: ReadonlyMap<string, ProviderClient>
  /** Refresh lease; short values let tests see a crashed holder's lease run out. */
  refreshLeaseMs?: number
}): Services {
  const { config, log, redis, providers } = deps
  const keys = createRedisKeys(config.redis.keyPrefix)
  const tokens = createTokenStore({
    redis,
    keys,
    log,
    cipher: createCipher(config.tokens.encryptionKeys),
    ttlSeconds: config.session.ttlSeconds,
  })
  const timeoutMs = config.http.timeoutSeconds * 1000
  // The lease outlasts the token call even if no renewal gets through (a blocked event
  // loop, a Redis hiccup): a live holder never loses it to a second refresh.
  const leaseMs = deps.refreshLeaseMs ?? timeoutMs + 5000
  const accessTokens = createAccessTokens({
    store: tokens,
    locks: createRefreshLock({ redis, keys, log, leaseMs }),
    providers,
    log,
    skewSeconds: config.tokens.refreshSkewSeconds,
    // A crashed holder's lease running out, then our own token call.
    waitTimeoutMs: leaseMs + timeoutMs + 1000,
  })
  return {
    keys,
    logins: createLoginStore({ redis, keys, ttlSeconds: LOGIN_TTL_SECONDS }),
    tokens,
    accessTokens,
    revoker: createGrantRevoker({ store: tokens, providers, log }),
    contacts: createContactsReader({ providers, accessTokens }),
  }
}
