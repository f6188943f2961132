// The one way to get a usable access token for a grant. Web requests and background jobs
// all call get(); it returns the stored token while it is valid for longer than the skew
// window and otherwise refreshes it, once:
//   - within this process, concurrent callers share one promise (single flight);
//   - across processes, one caller holds a Redis lease (refresh-lock.ts) and re-reads the
//     record after taking it, because another process may have refreshed already; the
//     others wait for the record's version to change instead of refreshing again.
// With rotating refresh tokens a second refresh would present a used token and the
// provider would revoke the whole grant (RFC 9700 §4.14.2), logging the person out.
import type { ProviderClient } from '../auth/provider-client.ts'
import { reconnectError } from '../auth/reconnect.ts'
import { AppError, ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'
import type { Lease, RefreshLock } from './refresh-lock.ts'
import type { TokenRecord, TokenSet, TokenStore } from './token-store.ts'

/** Which grant: the token record's key and the provider it belongs to. */
export interface GrantRef {
  grantId: string
  provider: string
}

export interface AccessTokens {
  /**
   * A token record whose access token is usable now. `rejected` is an access token the
   * resource server refused although we believed it valid: it forces one refresh, shared
   * with everyone else who saw the same rejection.
   */
  get(grant: GrantRef, options?: { rejected?: string }): Promise<TokenRecord>
}

export interface AccessTokensOptions {
  store: TokenStore
  locks: RefreshLock
  redis: Redis
  keys: RedisKeys
  providers: ReadonlyMap<string, ProviderClient>
  log: Logger
  skewSeconds: number
  /** How long a caller waits for another process's refresh before giving up. */
  waitTimeoutMs: number
  /** How long waiters are told about a failed refresh (they fail fast instead of piling on). */
  failureMemoMs?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function refreshTimedOut(): AppError {
  return new AppError(
    ErrorCode.PROVIDER_UNAVAILABLE,
    'The provider is not answering, try again. Your connection is kept.',
    { status: 502, title: 'The provider is not answering', retryable: true },
  )
}

interface FailureNote {
  at: number
  code: ErrorCode
}

export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  const { store, locks, redis, keys, providers, log } = options
  const failureMemoMs = options.failureMemoMs ?? 2000
  const inFlight = new Map<string, Promise<TokenRecord>>()

  const usable = (record: TokenRecord, rejected: string | undefined) =>
    record.accessToken !== rejected && record.expiresAt - options.skewSeconds > Date.now() / 1000

  async function load({ grantId, provider }: GrantRef): Promise<TokenRecord> {
    const record = await store.load(grantId)
    if (!record) throw reconnectError(provider)
    return record
  }

  async function refreshHoldingLease(
    grant: GrantRef,
    record: TokenRecord,
    lease: Lease,
  ): Promise<TokenRecord> {
    const { grantId } = grant
    const provider = providers.get(record.provider)
    if (!record.refreshToken || !provider) {
      await store.remove(grantId)
      throw reconnectError(record.provider)
    }
    const keepAlive = lease.keepAlive()
    try {
      const issued = await provider.refresh(record.refreshToken, record.subject)
      const next: TokenSet = {
        provider: record.provider,
        subject: record.subject,
        accessToken: issued.accessToken,
        // RFC 6749 §6: a new refresh token replaces the old one (rotation: our demo server,
        // Microsoft); none in the response means keep the one we have (Google).
        refreshToken: issued.refreshToken ?? record.refreshToken,
        idToken: issued.idToken ?? record.idToken,
        expiresAt: issued.expiresAt,
        scope: issued.scope,
        createdAt: record.createdAt,
        refreshedAt: Math.floor(Date.now() / 1000),
      }
      const saved = await store.update(grantId, record.version, next)
      if (saved) {
        log.info({ grantId, provider: record.provider }, 'tokens refreshed')
        return saved
      }
      // Only possible when our lease lapsed and someone else wrote first: theirs is newer.
      log.warn({ grantId }, 'refreshed tokens lost the compare-and-set; using the newer record')
      return load(grant)
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.GRANT_REVOKED) {
        // invalid_grant is final (revoked, expired or reused): drop the tokens, keep the
        // person's data, and ask them to reconnect. Never retry it.
        await store.remove(grantId)
        log.info({ grantId, provider: record.provider }, 'grant revoked or expired at the provider')
        throw reconnectError(record.provider)
      }
      log.warn({ err, grantId, provider: record.provider }, 'token refresh failed; tokens kept')
      const code = err instanceof AppError ? err.code : ErrorCode.INTERNAL
      const note: FailureNote = { at: Date.now(), code }
      await redis
        .set(keys.refreshFailure(grantId), JSON.stringify(note), 'PX', failureMemoMs)
        .catch(() => {})
      throw err
    } finally {
      keepAlive.stop()
    }
  }

  /** Waits for another process's refresh. Undefined: the lease is gone, try to take it. */
  async function awaitOtherRefresh(
    grant: GrantRef,
    rejected: string | undefined,
    since: number,
    deadline: number,
  ): Promise<TokenRecord | undefined> {
    let interval = 20
    while (Date.now() < deadline) {
      await sleep(interval)
      interval = Math.min(interval * 1.5, 200)
      const record = await load(grant)
      if (usable(record, rejected)) return record
      const raw = await redis.get(keys.refreshFailure(grant.grantId))
      const note = raw ? (JSON.parse(raw) as FailureNote) : undefined
      if (note && note.at >= since) {
        throw note.code === ErrorCode.PROVIDER_UNAVAILABLE
          ? refreshTimedOut()
          : new AppError(
              note.code,
              'The provider could not renew access. Please try again later.',
              {
                status: 502,
                title: 'Could not renew access',
              },
            )
      }
      if (!(await locks.isHeld(grant.grantId))) return undefined
    }
    return undefined
  }

  async function refreshShared(grant: GrantRef, rejected: string | undefined) {
    const since = Date.now()
    const deadline = since + options.waitTimeoutMs
    while (Date.now() < deadline) {
      const lease = await locks.acquire(grant.grantId)
      if (lease) {
        try {
          // Re-read under the lease: another process may have refreshed meanwhile.
          const record = await load(grant)
          if (usable(record, rejected)) return record
          return await refreshHoldingLease(grant, record, lease)
        } finally {
          await lease.release().catch(() => {})
        }
      }
      const record = await awaitOtherRefresh(grant, rejected, since, deadline)
      if (record) return record
    }
    // Waiting too long is not a reason to end the session: the tokens stay.
    throw refreshTimedOut()
  }

  return {
    async get(grant, { rejected } = {}) {
      const record = await load(grant)
      if (usable(record, rejected)) return record
      let shared = inFlight.get(grant.grantId)
      if (!shared) {
        shared = refreshShared(grant, rejected).finally(() => inFlight.delete(grant.grantId))
        inFlight.set(grant.grantId, shared)
      }
      return shared
    },
  }
}
