// The one way to get a usable access token for a grant. Web requests and background jobs
// all call get(); it returns the stored token while it is valid for longer than the skew
// window and otherwise refreshes it, once:
//   - within this process, callers share one promise (single flight) per grant and per
//     refused token;
//   - across processes, one caller holds a Redis lease (refresh-lock.ts) and re-reads the
//     record after taking it, because another process may have refreshed already; the
//     others wait until the record moves past the version they saw, the holder reports a
//     failure, or the lease is gone.
// With rotating refresh tokens a second refresh would present a used token and the
// provider would revoke the whole grant (RFC 9700 §4.14.2), logging the person out.

import { AppError, ErrorCode, reconnectNeeded, storeUnavailable } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import { isRedisUnavailable } from '../redis.ts'
import type { Lease, RefreshLock } from './refresh-lock.ts'
import type { GrantRef, TokenRecord, TokenSet, TokenStore } from './token-store.ts'

export type { GrantRef }

export interface AccessTokens {
  /**
   * A token record whose access token is usable: valid beyond the skew window and not the
   * `rejected` one. `rejected` is an access token the resource server refused although we
   * believed it valid; it forces one refresh, shared with everyone who saw the same refusal.
   */
  get(grant: GrantRef, options?: { rejected?: string }): Promise<TokenRecord>
}

export interface AccessTokensOptions {
  store: TokenStore
  locks: RefreshLock
  providers: ReadonlyMap<string, ProviderClient>
  log: Logger
  skewSeconds: number
  /** How long a caller waits for another process's refresh before giving up. */
  waitTimeoutMs: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function refreshTimedOut(): AppError {
  return new AppError(
    ErrorCode.PROVIDER_UNAVAILABLE,
    'The provider is not answering, try again. Your connection is kept.',
    { status: 502, retryable: true },
  )
}

/** What a waiter says when the attempt it waited on failed in another process. */
function failedElsewhere(code: string): AppError {
  if (code === ErrorCode.PROVIDER_UNAVAILABLE) return refreshTimedOut()
  return new AppError(
    ErrorCode.PROVIDER_ERROR,
    'The provider could not renew access. Please try again later.',
    { status: 502 },
  )
}

export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  const { store, locks, providers, log } = options
  const inFlight = new Map<string, Promise<TokenRecord>>()

  /** Valid for longer than the skew, which never exceeds half the token's lifetime (a
   *  provider issuing 60-second tokens must not make every request refresh). */
  function usable(record: TokenRecord, rejected: string | undefined): boolean {
    if (record.accessToken === rejected) return false
    const lifetime = record.expiresAt - (record.refreshedAt ?? record.createdAt)
    const skew = Math.min(options.skewSeconds, lifetime / 2)
    return record.expiresAt - skew > Date.now() / 1000
  }

  /** Someone refreshed since we looked, or the record is good as it is. */
  const fresh = (record: TokenRecord, seen: TokenRecord, rejected: string | undefined) =>
    usable(record, rejected) || (record.version !== seen.version && record.accessToken !== rejected)

  async function load(grant: GrantRef): Promise<TokenRecord> {
    const record = await store.load(grant)
    if (!record) throw reconnectNeeded(grant.provider)
    return record
  }

  /**
   * Writes the refreshed tokens. The provider has already rotated the refresh token, so
   * losing this write would lose the grant: retry while Redis hiccups, and after a timeout
   * check whether the write landed after all.
   */
  async function storeRefreshed(
    grant: GrantRef,
    from: TokenRecord,
    next: TokenSet,
  ): Promise<TokenRecord> {
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const saved = await store.update(grant, from.version, next)
        if (saved) return saved
        // Someone wrote first (a lapsed lease) or the person signed out meanwhile.
        log.warn({ grantId: grant.grantId }, 'refreshed tokens lost the compare-and-set')
        return load(grant)
      } catch (err) {
        if (!isRedisUnavailable(err)) throw err
        lastError = err
        const current = await store.load(grant).catch(() => undefined)
        if (current?.accessToken === next.accessToken) return current
        await sleep(100 * (attempt + 1))
      }
    }
    log.error(
      { err: lastError, grantId: grant.grantId },
      'refreshed tokens could not be stored; the grant may need reconnecting',
    )
    throw storeUnavailable(lastError)
  }

  async function refreshHoldingLease(grant: GrantRef, record: TokenRecord, lease: Lease) {
    const provider = providers.get(record.provider)
    if (!record.refreshToken || !provider) {
      await store.remove(grant.grantId)
      throw reconnectNeeded(record.provider)
    }
    const keepAlive = lease.keepAlive()
    try {
      let issued: Awaited<ReturnType<ProviderClient['refresh']>>
      try {
        issued = await provider.refresh(record.refreshToken, record.subject)
      } catch (err) {
        const code = err instanceof AppError ? err.code : ErrorCode.INTERNAL
        if (code === ErrorCode.GRANT_REVOKED || code === ErrorCode.IDENTITY_MISMATCH) {
          // Final (revoked, expired, reused, or answered for someone else): drop the
          // tokens, keep the person's data, never retry.
          await store.remove(grant.grantId)
          if (code === ErrorCode.IDENTITY_MISMATCH) {
            log.error(
              { err, grantId: grant.grantId },
              'refresh returned an ID token for another subject',
            )
          } else {
            log.info(
              { grantId: grant.grantId, provider: record.provider },
              'grant revoked or expired at the provider',
            )
          }
          throw err
        }
        log.warn(
          { err, grantId: grant.grantId, provider: record.provider },
          'token refresh failed; tokens kept',
        )
        await lease.fail(code).catch(() => {})
        throw err
      }
      const saved = await storeRefreshed(grant, record, {
        provider: record.provider,
        subject: record.subject,
        accessToken: issued.accessToken,
        // RFC 6749 §6: a new refresh token replaces the old one (rotation: our demo server,
        // Microsoft); none in the response means keep the one we have (Google).
        refreshToken: issued.refreshToken ?? record.refreshToken,
        // A new refresh token brings its own lifetime; the kept one keeps its old end.
        refreshExpiresAt: issued.refreshToken ? issued.refreshExpiresAt : record.refreshExpiresAt,
        idToken: issued.idToken ?? record.idToken,
        expiresAt: issued.expiresAt,
        // RFC 6749 §5.1: no scope in the response means the scope is unchanged.
        scope: issued.scope ?? record.scope,
        createdAt: record.createdAt,
        refreshedAt: Math.floor(Date.now() / 1000),
      })
      log.info({ grantId: grant.grantId, provider: record.provider }, 'tokens refreshed')
      return saved
    } finally {
      keepAlive.stop()
    }
  }

  /** Waits for the lease holder's outcome. Undefined: the lease is free, try to take it. */
  async function awaitOtherRefresh(
    grant: GrantRef,
    seen: TokenRecord,
    rejected: string | undefined,
    deadline: number,
  ): Promise<TokenRecord | undefined> {
    const holder = await locks.holder(grant.grantId)
    if (!holder) return undefined
    let interval = 20
    while (Date.now() < deadline) {
      await sleep(interval)
      interval = Math.min(interval * 1.5, 200)
      const record = await load(grant)
      if (fresh(record, seen, rejected)) return record
      const failure = await locks.failureOf(grant.grantId, holder)
      if (failure) throw failedElsewhere(failure)
      // Finished without a new record, crashed (its lease ran out) or replaced.
      if ((await locks.holder(grant.grantId)) !== holder) return undefined
    }
    return undefined
  }

  async function refreshShared(grant: GrantRef, seen: TokenRecord, rejected: string | undefined) {
    const deadline = Date.now() + options.waitTimeoutMs
    while (Date.now() < deadline) {
      const lease = await locks.acquire(grant.grantId)
      if (lease) {
        try {
          // Re-read under the lease: another process may have refreshed meanwhile.
          const record = await load(grant)
          if (fresh(record, seen, rejected)) return record
          return await refreshHoldingLease(grant, record, lease)
        } finally {
          await lease.release().catch(() => {})
        }
      }
      const record = await awaitOtherRefresh(grant, seen, rejected, deadline)
      if (record) return record
    }
    // Waiting too long is not a reason to end the session: the tokens stay.
    throw refreshTimedOut()
  }

  return {
    async get(grant, { rejected } = {}) {
      const record = await load(grant)
      if (usable(record, rejected)) {
        // In use: the record lives CONNECTION_IDLE_DAYS from now.
        await store.touch(grant.grantId)
        return record
      }
      // Callers refused different tokens must not share: one of them would get back the
      // very token that was refused. They still meet at the Redis lease.
      const key = `${grant.grantId}\u0000${rejected ?? ''}`
      let shared = inFlight.get(key)
      if (!shared) {
        shared = refreshShared(grant, record, rejected).finally(() => inFlight.delete(key))
        inFlight.set(key, shared)
      }
      return shared
    },
  }
}
