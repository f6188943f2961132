// What an error page may show: the message of an expected failure, never the details of
// an unexpected one (a stack trace, a token or an upstream body).
import { describe, expect, it } from 'vitest'
import { AppError, ErrorCode, rateLimited, reconnectNeeded } from '../../src/errors.ts'
import { toPublicError } from '../../src/web/public-error.ts'

const GENERIC_MESSAGE = 'An unexpected error happened on our side. Please try again in a moment.'

describe('toPublicError', () => {
  it('when the error is an exposed AppError, then its status, code and message are kept, with the title and action of its code', () => {
    const err = new AppError(ErrorCode.LOGIN_DECLINED, 'You declined access.', {
      status: 403,
      provider: 'demo',
      returnTo: '/resource',
    })
    expect(toPublicError(err)).toEqual({
      status: 403,
      code: 'LOGIN_DECLINED',
      title: 'You declined access — try again',
      message: 'You declined access.',
      action: { label: 'Try signing in again', href: '/login?provider=demo&returnTo=%2Fresource' },
    })
  })

  it('when a grant is gone, then the page offers to reconnect at the provider the error names', () => {
    expect(toPublicError(reconnectNeeded('google'))).toMatchObject({
      status: 403,
      code: 'GRANT_REVOKED',
      title: 'Reconnect to your provider',
      action: { label: 'Reconnect', href: '/login?provider=google' },
    })
  })

  it('when the provider is down during a sign-in, then the way forward is a new sign-in, not a reload of the callback', () => {
    const during = new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'Not answering.', {
      status: 502,
      provider: 'demo',
      returnTo: '/',
      retryable: true,
    })
    const later = new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'Not answering.', {
      status: 502,
      provider: 'demo',
      retryable: true,
    })
    expect(toPublicError(during).action).toEqual({
      label: 'Try signing in again',
      href: '/login?provider=demo',
    })
    expect(toPublicError(later).action).toBeUndefined()
  })

  it('when an AppError has no status, then it is a 400 with the title of its code', () => {
    expect(toPublicError(new AppError(ErrorCode.BAD_REQUEST, 'Bad input.'))).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      title: 'Bad request',
      message: 'Bad input.',
      action: { label: 'Back to the start page', href: '/' },
    })
  })

  it.each([502, 503])('when an AppError has status %i, then it is exposed', (status) => {
    const err = new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'The provider is not answering.', {
      status,
    })
    expect(toPublicError(err)).toMatchObject({
      status,
      code: 'PROVIDER_UNAVAILABLE',
      title: 'The provider is not answering',
      message: 'The provider is not answering.',
    })
  })

  it('when a plain Error is thrown, then the public error is a generic 500 without its message', () => {
    const publicError = toPublicError(
      new Error('connect ECONNREFUSED 10.0.0.7:6379 refresh_token=rt-secret'),
    )
    expect(publicError).toEqual({
      status: 500,
      code: 'INTERNAL',
      title: 'Something went wrong',
      message: GENERIC_MESSAGE,
      action: { label: 'Back to the start page', href: '/' },
    })
    expect(JSON.stringify(publicError)).not.toContain('rt-secret')
    expect(JSON.stringify(publicError)).not.toContain('ECONNREFUSED')
  })

  it('when a client is over a rate limit, then a 429 says how long to wait and links home, never back to the URL (a callback holds a code)', () => {
    expect(toPublicError(rateLimited(42))).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
      title: 'Too many requests',
      message:
        'There were too many requests from here in a short time. Please try again in 42 seconds.',
      action: { label: 'Back to the start page', href: '/' },
    })
    expect(toPublicError(rateLimited(1)).message).toContain('in 1 second.')
    expect(toPublicError(rateLimited(60)).message).toContain('in a minute.')
    expect(rateLimited(42).retryAfterSeconds).toBe(42)
  })

  it('when an AppError has status 500, then it is not exposed', () => {
    const err = new AppError(ErrorCode.INTERNAL, 'token record for grant g-1 is corrupt', {
      status: 500,
    })
    expect(err.expose).toBe(false)
    const publicError = toPublicError(err)
    expect(publicError).toMatchObject({ status: 500, code: 'INTERNAL', message: GENERIC_MESSAGE })
    expect(JSON.stringify(publicError)).not.toContain('g-1')
  })

  it.each([
    ['a string', 'boom'],
    ['undefined', undefined],
    ['an object', { status: 403, message: 'forged' }],
  ])('when %s is thrown, then the public error is a generic 500', (_what, thrown) => {
    expect(toPublicError(thrown)).toMatchObject({ status: 500, message: GENERIC_MESSAGE })
  })
})
