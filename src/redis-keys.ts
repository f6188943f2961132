// Every Redis key the app writes, built in one place: one prefix per concern, all under
// REDIS_KEY_PREFIX so several deployments (or test files) can share one Redis.
export interface RedisKeys {
  /** express-session records (connect-redis appends the session id). */
  sessionPrefix: string
  /** One-time marker of a `state` used at the callback, named by the state's hash. */
  consumedState(stateHash: string): string
  /** Counters of one rate limit (rate-limit-redis appends the client's key). */
  rateLimitPrefix(name: string): string
  /** Token record of one grant (encrypted, versioned). */
  tokens(grantId: string): string
  /** Lease held while one process refreshes a grant's tokens. */
  refreshLock(grantId: string): string
  /** Short-lived note that the last refresh failed for a transient reason. */
  refreshFailure(grantId: string): string
  /** Ids of the sessions a person is signed in with (for "sign out everywhere"). */
  personSessions(personId: string): string
  /** A failed sign-in's public error, kept for the one view of its clean URL. */
  signInFailure(id: string): string
  /** Pub/sub channel of one import run's progress snapshots. */
  importEvents(runId: string): string
  /** BullMQ's own prefix: every queue key lives under `<prefix>:<queue>:`. */
  bullPrefix: string
}

export function createRedisKeys(prefix: string): RedisKeys {
  return {
    sessionPrefix: `${prefix}sess:`,
    consumedState: (stateHash) => `${prefix}consumed:${stateHash}`,
    rateLimitPrefix: (name) => `${prefix}rl:${name}:`,
    tokens: (grantId) => `${prefix}tok:${grantId}`,
    refreshLock: (grantId) => `${prefix}lock:refresh:${grantId}`,
    refreshFailure: (grantId) => `${prefix}fail:refresh:${grantId}`,
    personSessions: (personId) => `${prefix}person-sess:${personId}`,
    signInFailure: (id) => `${prefix}signin-failed:${id}`,
    importEvents: (runId) => `${prefix}import:${runId}`,
    // BullMQ adds the ':' itself.
    bullPrefix: `${prefix}bull`,
  }
}
