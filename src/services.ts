// The domain services, built from their dependencies. Shared by every entry point (the web
// app now, a worker later), so they never see a request or a response.
import { type ContactsStore, createContactsStore } from './address-book/contacts-store.ts'
import { type ConsumedStates, createConsumedStates } from './auth/consumed-states.ts'
import { createPendingLogins, type PendingLogins } from './auth/pending-login.ts'
import type { Config } from './config.ts'
import type { ContactSource } from './contacts/contact-source.ts'
import { createContactSource } from './contacts/create-contact-source.ts'
import type { Database } from './db/database.ts'
import { createImportsStore, type ImportsStore } from './imports/imports-store.ts'
import type { Logger } from './log.ts'
import type { ProviderClient } from './oidc/provider-client.ts'
import { type Connections, createConnections } from './people/connections.ts'
import { createPeopleStore, type PeopleStore } from './people/people-store.ts'
import { createSignIn, type SignIn } from './people/sign-in.ts'
import type { Redis } from './redis.ts'
import { createRedisKeys, type RedisKeys } from './redis-keys.ts'
import { createPersonSessions, type PersonSessions } from './session/person-sessions.ts'
import { type AccessTokens, createAccessTokens } from './tokens/access-tokens.ts'
import { createCipher } from './tokens/cipher.ts'
import { createRefreshLock } from './tokens/refresh-lock.ts'
import { createGrantRevoker, type GrantRevoker } from './tokens/revoke-grant.ts'
import { createTokenStore, type TokenStore } from './tokens/token-store.ts'

export interface Services {
  keys: RedisKeys
  /** Mints and checks states; seals pending sign-ins for their cookies. */
  pendingLogins: PendingLogins
  /** The one-time markers of used states. */
  consumedStates: ConsumedStates
  tokens: TokenStore
  accessTokens: AccessTokens
  revoker: GrantRevoker
  people: PeopleStore
  connections: Connections
  signIn: SignIn
  personSessions: PersonSessions
  /** One contacts source per configured provider. */
  contactSources: ReadonlyMap<string, ContactSource>
  /** The address book in PostgreSQL: the import writes it, the pages read it. */
  contactsStore: ContactsStore
  /** Import runs in PostgreSQL: the worker writes them, the pages read them (ImportsReader). */
  importsStore: ImportsStore
}

/** A pending sign-in lives this long: time to log in and consent at the provider. */
const LOGIN_TTL_SECONDS = 600
/** A sign-in with a second account waits this long for "add" or "switch". */
export const CHOICE_TTL_SECONDS = 600

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
  const people = createPeopleStore({ db: deps.db })
  const keys = createRedisKeys(config.redis.keyPrefix)
  const tokens = createTokenStore({
    redis,
    keys,
    log,
    cipher: createCipher(config.tokens.encryptionKeys),
    idleSeconds: config.tokens.idleSeconds,
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
  const revoker = createGrantRevoker({ store: tokens, providers, log })
  const personSessions = createPersonSessions({
    redis,
    keys,
    maxAgeSeconds: config.session.maxAgeSeconds,
  })
  const connections = createConnections({ people, accessTokens, revoker, personSessions, log })
  const contactSources = new Map<string, ContactSource>()
  for (const [id, provider] of providers) {
    contactSources.set(
      id,
      createContactSource(provider.settings, {
        fetchResource: provider.fetchResource,
        defaultRegion: config.contacts.defaultPhoneRegion,
      }),
    )
  }

  return {
    keys,
    pendingLogins: createPendingLogins({
      secrets: config.session.secrets,
      ttlSeconds: LOGIN_TTL_SECONDS,
    }),
    consumedStates: createConsumedStates({ redis, keys }),
    tokens,
    accessTokens,
    revoker,
    people,
    connections,
    signIn: createSignIn({ people, tokens, revoker, log }),
    personSessions,
    contactSources,
    contactsStore: createContactsStore({
      db: deps.db,
      defaultPhoneRegion: config.contacts.defaultPhoneRegion,
    }),
    importsStore: createImportsStore({ db: deps.db }),
  }
}
