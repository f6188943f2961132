// The one translation of openid-client's errors into ours (oauth-client-security.md §6).
// Protocol and security failures become 4xx pages; a provider that is down or slow becomes
// a 502 the person can retry; a rejected client secret is an operator problem, shown to
// the person as a neutral error and logged loudly by the caller.
import * as client from 'openid-client'
import { AppError, ErrorCode, reconnectNeeded } from '../errors.ts'

export type OidcPhase = 'discovery' | 'callback' | 'refresh' | 'revocation'

/** Timeouts, refused connections, 5xx and non-JSON error pages from a proxy. */
export function isTransient(err: unknown): boolean {
  // undici reports every network failure (refused, reset, DNS, TLS) as this one TypeError.
  if (err instanceof TypeError && err.message === 'fetch failed') return true
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return true
  }
  if (err instanceof client.ResponseBodyError) {
    return (
      err.error === 'temporarily_unavailable' || err.error === 'server_error' || err.status >= 500
    )
  }
  if (err instanceof client.WWWAuthenticateChallengeError) return err.status >= 500
  if (err instanceof client.ClientError) {
    if (err.code === 'OAUTH_TIMEOUT' || err.code === 'OAUTH_ABORT') return true
    if (err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || err.code === 'OAUTH_RESPONSE_IS_NOT_JSON') {
      const status = (err.cause as { status?: number } | undefined)?.status
      return status === undefined || status >= 500
    }
  }
  return false
}

/** The token endpoint rejected our client authentication (wrong secret or method). */
export function isInvalidClient(err: unknown): boolean {
  if (err instanceof client.ResponseBodyError) return err.error === 'invalid_client'
  if (err instanceof client.WWWAuthenticateChallengeError) {
    return err.cause.some((challenge) => challenge.parameters.error === 'invalid_client')
  }
  return false
}

export function isInvalidGrant(err: unknown): boolean {
  return err instanceof client.ResponseBodyError && err.error === 'invalid_grant'
}

/** openid-client rejected a response, or the provider answered with an OAuth error. */
function isProtocolError(err: unknown): boolean {
  return (
    err instanceof client.ClientError ||
    err instanceof client.ResponseBodyError ||
    err instanceof client.WWWAuthenticateChallengeError
  )
}

/** A safe rendering of an error code the provider sent back (it is attacker-controlled). */
function errorCodeOf(value: string): string {
  return /^[\w.-]{1,64}$/.test(value) ? value : 'unknown_error'
}

/** `returnTo`: where a "try again" sign-in should bring the person back to. */
export function translateOidcError(
  err: unknown,
  phase: OidcPhase,
  providerId: string,
  returnTo?: string,
): unknown {
  if (err instanceof AppError) return err
  if (isTransient(err)) {
    return new AppError(
      ErrorCode.PROVIDER_UNAVAILABLE,
      'The sign-in provider is not answering right now. Nothing was changed; please try again in a moment.',
      {
        status: 502,
        provider: providerId,
        // During a sign-in the remedy is a new sign-in (the code is spent), not a reload.
        returnTo: phase === 'callback' ? (returnTo ?? '/') : undefined,
        retryable: true,
        cause: err,
      },
    )
  }
  if (isInvalidClient(err)) {
    return new AppError(
      ErrorCode.CLIENT_MISCONFIGURED,
      'The app could not authenticate itself to the sign-in provider. The operators have been told; please try again later.',
      { status: 502, provider: providerId, cause: err },
    )
  }
  if (phase === 'refresh' && isInvalidGrant(err)) return reconnectNeeded(providerId, { cause: err })
  if (phase === 'callback') {
    // Failed during a sign-in: the remedy is a new one that returns where the person was.
    const duringSignIn = (code: ErrorCode, status: number, message: string) =>
      new AppError(code, message, {
        status,
        provider: providerId,
        returnTo: returnTo ?? '/',
        cause: err,
      })
    if (err instanceof client.AuthorizationResponseError) {
      if (err.error === 'access_denied') {
        return duringSignIn(
          ErrorCode.LOGIN_DECLINED,
          403,
          'You declined access, so the app cannot read your contacts. You can try again whenever you like.',
        )
      }
      return duringSignIn(
        ErrorCode.LOGIN_FAILED,
        400,
        `The provider could not complete the sign-in (error: ${errorCodeOf(err.error)}).`,
      )
    }
    if (isProtocolError(err)) {
      return duringSignIn(
        ErrorCode.LOGIN_INVALID_RESPONSE,
        400,
        'The sign-in response could not be verified, so it was rejected. Please start again.',
      )
    }
  }
  // Anything else openid-client throws here is the provider answering in a way we cannot
  // use: wrong metadata at discovery, or a refusal other than invalid_grant on refresh
  // (invalid_scope, unauthorized_client, invalid_target…). Not the person's fault.
  if (isProtocolError(err)) {
    return new AppError(
      ErrorCode.PROVIDER_ERROR,
      phase === 'discovery'
        ? 'The sign-in provider sent a configuration we cannot use. The operators have been told.'
        : 'The provider refused the request in a way we did not expect. Please try again later.',
      { status: 502, provider: providerId, cause: err },
    )
  }
  return err
}
