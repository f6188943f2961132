// The failures every contacts adapter reports, built in one place so that Google and
// Microsoft look the same to the reader of pages, the web pages and (later) the jobs
// (adapter rules, contacts-apis.md §10):
//   - 401 / Bearer invalid_token → AccessTokenRejectedError: the caller refreshes once and
//     retries once (read-pages.ts); it is not an AppError because nobody shows it as is;
//   - 403 / insufficient_scope → CONTACTS_FORBIDDEN, a reconnect: the grant lacks the scope;
//   - 429, 5xx, network errors, timeouts → CONTACTS_UNAVAILABLE, retryable, with the
//     provider's Retry-After when it sent one (Graph does, Google usually does not);
//   - anything else → CONTACTS_BAD_RESPONSE, not retryable.
import * as client from 'openid-client'
import { AppError, ErrorCode, reconnectNeeded } from '../errors.ts'

/** The contacts API refused the access token: refresh it once and retry once. */
export class AccessTokenRejectedError extends Error {
  override name = 'AccessTokenRejectedError'
}

/**
 * Seconds to wait from a Retry-After value (RFC 9110 §10.2.3): delay-seconds, or an
 * HTTP-date. Graph sends fractions ("2.128", contacts-apis.md §4.4), so they are kept.
 * Undefined when there is no usable value; a date in the past means 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  const text = value?.trim()
  if (!text) return undefined
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text)
    return Number.isFinite(seconds) ? seconds : undefined
  }
  // All three HTTP-date forms start with the day name; Date.parse alone accepts far more.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /.test(text)) return undefined
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, Math.ceil((at - now) / 1000))
}

export function contactsUnavailable(
  provider: string,
  options: { cause?: unknown; retryAfter?: string | null } = {},
): AppError {
  return new AppError(
    ErrorCode.CONTACTS_UNAVAILABLE,
    'Your contacts provider is not answering right now. Nothing was lost; please try again in a moment.',
    {
      status: 502,
      retryable: true,
      provider,
      cause: options.cause,
      retryAfterSeconds: parseRetryAfter(options.retryAfter),
    },
  )
}

export function contactsForbidden(provider: string, cause?: unknown): AppError {
  return reconnectNeeded(provider, {
    code: ErrorCode.CONTACTS_FORBIDDEN,
    message:
      'Your provider says this app may not read your contacts. Reconnect and allow access to your contacts.',
    cause,
  })
}

/** The token was refused again right after a refresh: only a new authorization can help. */
export function contactsUnauthorized(provider: string, cause?: unknown): AppError {
  return reconnectNeeded(provider, {
    code: ErrorCode.CONTACTS_UNAUTHORIZED,
    message: 'Your contacts provider keeps refusing our access. Reconnect to continue.',
    cause,
  })
}

export function contactsBadResponse(
  provider: string,
  cause?: unknown,
  message = 'Your contacts provider sent an answer we could not read. Please try again later.',
): AppError {
  return new AppError(ErrorCode.CONTACTS_BAD_RESPONSE, message, { status: 502, provider, cause })
}

/**
 * The provider refuses the sync token of an incremental read (Google: HTTP 400 with reason
 * EXPIRED_SYNC_TOKEN, formerly 410; contacts-apis.md §3.3). Not a failure of the import:
 * the caller drops what the incremental read gave and reads everything again.
 */
export function syncTokenExpired(provider: string, cause?: unknown): AppError {
  return new AppError(
    ErrorCode.SYNC_TOKEN_EXPIRED,
    'Your contacts provider asked for a full import again.',
    { status: 502, provider, cause },
  )
}

/**
 * What a failed `fetchResource` means. openid-client throws WWWAuthenticateChallengeError
 * for any answer carrying a challenge (RFC 6750 §3: the resource server explains a refusal
 * in WWW-Authenticate); anything else it throws is the network or the timeout.
 */
export function fetchFailure(provider: string, err: unknown): Error {
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const error = err.cause.find((c) => c.scheme === 'bearer')?.parameters.error
    if (err.status === 401 || error === 'invalid_token') {
      return new AccessTokenRejectedError('the contacts API refused the access token', {
        cause: err,
      })
    }
    if (err.status === 403 || error === 'insufficient_scope')
      return contactsForbidden(provider, err)
    if (err.status >= 500 || err.status === 429) {
      return contactsUnavailable(provider, {
        cause: err,
        retryAfter: err.response.headers.get('retry-after'),
      })
    }
    return contactsBadResponse(provider, err)
  }
  return contactsUnavailable(provider, { cause: err })
}

/** What a non-2xx answer without a challenge means. Its body is dropped unread. */
export function statusFailure(provider: string, response: Response): Error {
  response.body?.cancel().catch(() => {})
  const cause = new Error(`${response.status} from the contacts API`)
  if (response.status === 401) {
    return new AccessTokenRejectedError('the contacts API refused the access token', { cause })
  }
  if (response.status === 403) return contactsForbidden(provider, cause)
  if (response.status === 429 || response.status >= 500) {
    return contactsUnavailable(provider, {
      cause,
      retryAfter: response.headers.get('retry-after'),
    })
  }
  return contactsBadResponse(provider, cause)
}
