// One error type for the whole app. Every failure a person can meet is an AppError with
// a stable code; the single error handler (web/error-handler.ts) turns it into a page or
// JSON, and only exposes the message when `expose` is true (status < 500), so a stack
// trace, a token or an upstream body never reaches the browser.

export const ErrorCode = Object.freeze({
  /** The person declined consent at the provider (RFC 6749 §4.1.2.1 access_denied). */
  LOGIN_DECLINED: 'LOGIN_DECLINED',
  /** The provider answered the authorization request with another error code. */
  LOGIN_FAILED: 'LOGIN_FAILED',
  /** Signed in, but the token response lacks the contacts scope (the person unticked it). */
  SCOPE_NOT_GRANTED: 'SCOPE_NOT_GRANTED',
  /** The callback came without a single `state` value. */
  LOGIN_STATE_MISSING: 'LOGIN_STATE_MISSING',
  /** No pending sign-in under that `state`: unknown, expired or already used. */
  LOGIN_STATE_UNKNOWN: 'LOGIN_STATE_UNKNOWN',
  /** The pending sign-in was started in another browser (login CSRF, RFC 9700 §2.1). */
  LOGIN_STATE_MISMATCH: 'LOGIN_STATE_MISMATCH',
  /** The authorization response broke the protocol (wrong or missing `iss`, repeated
   *  parameters, implicit-flow tokens, no code, bad ID token, rejected code…). */
  LOGIN_INVALID_RESPONSE: 'LOGIN_INVALID_RESPONSE',
  /** `provider` names no configured provider. */
  UNKNOWN_PROVIDER: 'UNKNOWN_PROVIDER',
  /** The authorization server did not answer, timed out or answered 5xx. */
  PROVIDER_UNAVAILABLE: 'PROVIDER_UNAVAILABLE',
  /** The provider rejected our client credentials: an operator problem. */
  CLIENT_MISCONFIGURED: 'CLIENT_MISCONFIGURED',
  /** The provider answered in a way we cannot use (wrong metadata, an unexpected refusal). */
  PROVIDER_ERROR: 'PROVIDER_ERROR',
  /** A refresh returned an ID token for another person (OIDC Core §12.2): sign out. */
  IDENTITY_MISMATCH: 'IDENTITY_MISMATCH',
  /** The grant is gone (invalid_grant on refresh): the person has to reconnect. */
  GRANT_REVOKED: 'GRANT_REVOKED',
  /** The contacts API did not answer, timed out or answered 5xx. */
  CONTACTS_UNAVAILABLE: 'CONTACTS_UNAVAILABLE',
  /** The contacts API refused the access token even after a refresh. */
  CONTACTS_UNAUTHORIZED: 'CONTACTS_UNAUTHORIZED',
  /** The contacts API says the grant lacks the scope it needs. */
  CONTACTS_FORBIDDEN: 'CONTACTS_FORBIDDEN',
  /** The contacts API answered something we cannot read. */
  CONTACTS_BAD_RESPONSE: 'CONTACTS_BAD_RESPONSE',
  /** The provider no longer accepts the stored sync token: everything is read again. */
  SYNC_TOKEN_EXPIRED: 'SYNC_TOKEN_EXPIRED',
  /** A state-changing request without a valid CSRF token. */
  CSRF_INVALID: 'CSRF_INVALID',
  /** The account is already connected to another person here. */
  ACCOUNT_TAKEN: 'ACCOUNT_TAKEN',
  /** A connect flow came back to a browser that is no longer signed in. */
  CONNECT_SIGNED_OUT: 'CONNECT_SIGNED_OUT',
  /** A connect flow came back to a browser now signed in as another person. */
  CONNECT_OTHER_PERSON: 'CONNECT_OTHER_PERSON',
  /** A sign-in waiting for the person's choice (add or switch) expired or was answered. */
  CHOICE_EXPIRED: 'CHOICE_EXPIRED',
  /** The page needs a signed-in person (JSON clients get this instead of a redirect). */
  LOGIN_REQUIRED: 'LOGIN_REQUIRED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  BAD_REQUEST: 'BAD_REQUEST',
  /** Too many requests from one client address or one person (web/rate-limit.ts). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** Redis (sessions, sign-in markers, rate limits, tokens) or PostgreSQL (people,
   *  connections) does not answer. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** Anything we did not anticipate. Never exposed. */
  INTERNAL: 'INTERNAL',
} as const)

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export interface AppErrorOptions {
  status?: number
  cause?: unknown
  /** Transient failures: trying again later may work. */
  retryable?: boolean
  /** How long the upstream asked us to wait before trying again (its Retry-After). */
  retryAfterSeconds?: number
  /** The provider (configured id) the failure concerns: a "reconnect" goes there. */
  provider?: string
  /** Set when the failure happened during a sign-in: where a new sign-in should return. */
  returnTo?: string
}

/**
 * A failure with a stable code. Domain code says what went wrong and which provider it
 * concerns; it never decides what a page looks like — web/error-pages.ts maps each code to
 * a title and a way forward, in one place.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly expose: boolean
  readonly retryable: boolean
  readonly retryAfterSeconds: number | undefined
  readonly provider: string | undefined
  readonly returnTo: string | undefined

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.status = options.status ?? 400
    this.expose = this.status < 500 || this.status === 502 || this.status === 503
    this.retryable = options.retryable ?? false
    this.retryAfterSeconds = options.retryAfterSeconds
    this.provider = options.provider
    this.returnTo = options.returnTo
  }
}

/** Over a rate limit: a 429 that says how long to wait (its Retry-After). */
export function rateLimited(retryAfterSeconds: number): AppError {
  const wait =
    retryAfterSeconds >= 60
      ? 'a minute'
      : `${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`
  return new AppError(
    ErrorCode.RATE_LIMITED,
    `There were too many requests from here in a short time. Please try again in ${wait}.`,
    { status: 429, retryable: true, retryAfterSeconds },
  )
}

/** Redis (sessions, sign-ins, tokens) did not answer: a 503 the person can retry. */
export function storeUnavailable(cause: unknown): AppError {
  return new AppError(
    ErrorCode.STORE_UNAVAILABLE,
    'The service is briefly unavailable. Please try again in a moment.',
    { status: 503, retryable: true, cause },
  )
}

/** The grant cannot be used any more (revoked, expired, refused): authorize again. */
export function reconnectNeeded(
  provider: string,
  options: { code?: ErrorCode; message?: string; cause?: unknown } = {},
): AppError {
  return new AppError(
    options.code ?? ErrorCode.GRANT_REVOKED,
    options.message ?? 'Access to your contacts was revoked or expired — reconnect to continue.',
    { status: 403, provider, cause: options.cause },
  )
}

export function unknownProvider(): AppError {
  return new AppError(ErrorCode.UNKNOWN_PROVIDER, 'There is no sign-in provider by that name.', {
    status: 404,
  })
}
