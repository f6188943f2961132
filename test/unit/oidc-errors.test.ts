// The one translation of openid-client failures into what the person sees, checked with
// the library's own error classes (oauth-client-security.md §6).
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors.ts'
import {
  isInvalidClient,
  isInvalidGrant,
  isTransient,
  translateOidcError,
} from '../../src/oidc/oidc-errors.ts'
import { type ErrorAction, toPublicError } from '../../src/web/public-error.ts'
import { challengeError } from '../support/openid-errors.ts'

/** openid-client builds ClientError with `{cause, code}`; its .d.ts omits that constructor. */
function clientError(code: string, cause?: unknown): client.ClientError {
  const options: ErrorOptions & { code: string } = { cause, code }
  return new client.ClientError('openid-client failure', options)
}

/** An OAuth error body from the token endpoint (RFC 6749 §5.2). */
function bodyError(error: string, status = 400): client.ResponseBodyError {
  return new client.ResponseBodyError('server responded with an error in the response body', {
    cause: { error, error_description: `described ${error}` },
    response: new Response(null, { status }),
  })
}

/** The callback carried `error=…` (RFC 6749 §4.1.2.1). */
function authorizationError(error: string): client.AuthorizationResponseError {
  return new client.AuthorizationResponseError(
    'authorization response from the server is an error',
    {
      cause: new URLSearchParams({ error, state: 'abc', iss: 'http://localhost:4000' }),
    },
  )
}

/** The translated error, with the way forward its page offers (web/public-error.ts). */
function translated(
  err: unknown,
  phase: Parameters<typeof translateOidcError>[1],
): AppError & { action: ErrorAction | undefined } {
  const result = translateOidcError(err, phase, 'demo')
  if (!(result instanceof AppError)) throw new Error(`expected an AppError, got ${String(result)}`)
  return Object.assign(result, { action: toPublicError(result).action })
}

const retryLogin = { label: 'Try signing in again', href: '/login?provider=demo' }

describe('the authorization response', () => {
  it('when the person declined (access_denied), then it is LOGIN_DECLINED 403 with a way to try again', () => {
    const err = translated(authorizationError('access_denied'), 'callback')
    expect(err).toMatchObject({
      code: 'LOGIN_DECLINED',
      status: 403,
      expose: true,
      action: retryLogin,
    })
  })

  it('when the provider sent another error code, then it is LOGIN_FAILED 400 naming that code', () => {
    const err = translated(authorizationError('invalid_scope'), 'callback')
    expect(err).toMatchObject({ code: 'LOGIN_FAILED', status: 400, action: retryLogin })
    expect(err.message).toContain('invalid_scope')
  })

  it.each(['<script>alert(1)</script>', 'a'.repeat(65), 'error with spaces', ''])(
    'when the provider sent the error code %j, then the page shows unknown_error instead',
    (code) => {
      const err = translated(authorizationError(code), 'callback')
      expect(err).toMatchObject({ code: 'LOGIN_FAILED', status: 400 })
      expect(err.message).toContain('unknown_error')
      if (code) expect(err.message).not.toContain(code)
    },
  )
})

describe('invalid_grant', () => {
  it('when refreshing is refused with invalid_grant, then it is GRANT_REVOKED 403 with a reconnect action', () => {
    const err = translated(bodyError('invalid_grant'), 'refresh')
    expect(err).toMatchObject({
      code: 'GRANT_REVOKED',
      status: 403,
      retryable: false,
      action: { label: 'Reconnect', href: '/login?provider=demo' },
    })
  })

  it('when the code exchange is refused with invalid_grant, then it is LOGIN_INVALID_RESPONSE 400', () => {
    const err = translated(bodyError('invalid_grant'), 'callback')
    expect(err).toMatchObject({ code: 'LOGIN_INVALID_RESPONSE', status: 400, retryable: false })
  })

  it('when the error is invalid_grant, then isInvalidGrant says so, and not for other errors', () => {
    expect(isInvalidGrant(bodyError('invalid_grant'))).toBe(true)
    expect(isInvalidGrant(bodyError('invalid_request'))).toBe(false)
    expect(isInvalidGrant(authorizationError('invalid_grant'))).toBe(false)
    expect(isInvalidGrant(new Error('invalid_grant'))).toBe(false)
  })
})

describe('invalid_client', () => {
  it.each(['callback', 'refresh', 'revocation'] as const)(
    'when the token endpoint answers invalid_client in the body during %s, then it is CLIENT_MISCONFIGURED 502',
    (phase) => {
      const err = translated(bodyError('invalid_client', 401), phase)
      expect(err).toMatchObject({ code: 'CLIENT_MISCONFIGURED', status: 502, retryable: false })
    },
  )

  it('when the token endpoint answers with a Basic invalid_client challenge, then it is CLIENT_MISCONFIGURED 502', () => {
    const err = challengeError(401, 'Basic realm="token", error="invalid_client"', [
      { scheme: 'basic', parameters: { realm: 'token', error: 'invalid_client' } },
    ])
    expect(isInvalidClient(err)).toBe(true)
    expect(translated(err, 'callback')).toMatchObject({ code: 'CLIENT_MISCONFIGURED', status: 502 })
    expect(translated(err, 'refresh')).toMatchObject({ code: 'CLIENT_MISCONFIGURED', status: 502 })
  })

  it('when a challenge carries another error, then it is not invalid_client', () => {
    const err = challengeError(401, 'Bearer error="invalid_token"', [
      { scheme: 'bearer', parameters: { error: 'invalid_token' } },
    ])
    expect(isInvalidClient(err)).toBe(false)
    expect(isInvalidClient(bodyError('invalid_request'))).toBe(false)
  })
})

describe('transient failures', () => {
  const transient: Array<[string, unknown]> = [
    ['a network failure (fetch failed)', new TypeError('fetch failed')],
    ['a timeout (DOMException TimeoutError)', new DOMException('timed out', 'TimeoutError')],
    ['an abort (DOMException AbortError)', new DOMException('aborted', 'AbortError')],
    ['ClientError OAUTH_TIMEOUT', clientError('OAUTH_TIMEOUT')],
    ['ClientError OAUTH_ABORT', clientError('OAUTH_ABORT')],
    [
      'a 503 with a non-conforming body',
      clientError('OAUTH_RESPONSE_IS_NOT_CONFORM', new Response('<html>', { status: 503 })),
    ],
    [
      'a 502 that is not JSON',
      clientError('OAUTH_RESPONSE_IS_NOT_JSON', new Response('<html>', { status: 502 })),
    ],
    ['ResponseBodyError temporarily_unavailable', bodyError('temporarily_unavailable')],
    ['ResponseBodyError server_error', bodyError('server_error')],
    ['a 5xx ResponseBodyError', bodyError('something_else', 500)],
    [
      'a 503 challenge',
      challengeError(503, 'Bearer realm="contacts"', [
        { scheme: 'bearer', parameters: { realm: 'contacts' } },
      ]),
    ],
  ]

  it.each(transient)('when the failure is %s, then it is transient', (_what, err) => {
    expect(isTransient(err)).toBe(true)
  })

  it.each(transient)(
    'when the failure is %s during the callback, then it is PROVIDER_UNAVAILABLE 502, retryable, with a way to sign in again',
    (_what, err) => {
      const result = translated(err, 'callback')
      expect(result).toMatchObject({
        code: 'PROVIDER_UNAVAILABLE',
        status: 502,
        expose: true,
        retryable: true,
        action: retryLogin,
      })
      expect(result.cause).toBe(err)
    },
  )

  it('when a refresh times out, then it is PROVIDER_UNAVAILABLE 502 and retryable', () => {
    expect(translated(clientError('OAUTH_TIMEOUT'), 'refresh')).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      status: 502,
      retryable: true,
      action: undefined,
    })
  })

  it.each([
    ['an unrelated TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a plain Error', new Error('fetch failed')],
    [
      'a 404 with a non-conforming body',
      clientError('OAUTH_RESPONSE_IS_NOT_CONFORM', new Response('', { status: 404 })),
    ],
    ['ClientError OAUTH_INVALID_RESPONSE', clientError('OAUTH_INVALID_RESPONSE')],
    ['ResponseBodyError invalid_grant', bodyError('invalid_grant')],
    [
      'a 401 challenge',
      challengeError(401, 'Basic realm="token"', [
        { scheme: 'basic', parameters: { realm: 'token' } },
      ]),
    ],
  ])('when the failure is %s, then it is not transient', (_what, err) => {
    expect(isTransient(err)).toBe(false)
  })

  it('when an unrelated TypeError reaches the translation, then it is returned unchanged (a bug, not a provider outage)', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')")
    for (const phase of ['discovery', 'callback', 'refresh', 'revocation'] as const) {
      expect(translateOidcError(bug, phase, 'demo')).toBe(bug)
    }
  })
})

describe('other failures', () => {
  it('when the callback fails a protocol check (ClientError), then it is LOGIN_INVALID_RESPONSE 400', () => {
    for (const code of ['OAUTH_INVALID_RESPONSE', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED']) {
      expect(translated(clientError(code), 'callback')).toMatchObject({
        code: 'LOGIN_INVALID_RESPONSE',
        status: 400,
        action: retryLogin,
      })
    }
  })

  it('when discovery returns unusable metadata, then it is PROVIDER_ERROR 502, not retryable', () => {
    const err = translated(clientError('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'), 'discovery')
    expect(err).toMatchObject({ code: 'PROVIDER_ERROR', status: 502, retryable: false })
  })

  it('when a refresh is refused with an error other than invalid_grant, then it is PROVIDER_ERROR 502, not a client mistake', () => {
    for (const code of ['invalid_scope', 'unauthorized_client', 'invalid_target']) {
      expect(translated(bodyError(code), 'refresh')).toMatchObject({
        code: 'PROVIDER_ERROR',
        status: 502,
      })
    }
  })

  it('when an AppError is translated, then it is returned as it is', () => {
    const appError = new AppError('LOGIN_STATE_UNKNOWN', 'unknown state')
    expect(translateOidcError(appError, 'callback', 'demo')).toBe(appError)
  })

  it('when revocation is refused with an OAuth error, then it is PROVIDER_ERROR, keeping the cause for the log', () => {
    const err = bodyError('unsupported_token_type')
    const result = translated(err, 'revocation')
    expect(result).toMatchObject({ code: 'PROVIDER_ERROR', status: 502 })
    expect((result as Error).cause).toBe(err)
  })
})
