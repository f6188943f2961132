// What an error page may show: the message of an expected failure, never the details of
// an unexpected one (a stack trace, a token or an upstream body).
import { describe, expect, it } from 'vitest'
import { AppError, ErrorCode, toPublicError } from '../../src/errors.ts'

const GENERIC_MESSAGE = 'An unexpected error happened on our side. Please try again in a moment.'

describe('toPublicError', () => {
  it('when the error is an exposed AppError, then its status, code, title, message and action are kept', () => {
    const action = { label: 'Try signing in again', href: '/login?provider=demo' }
    const err = new AppError(ErrorCode.LOGIN_DECLINED, 'You declined access.', {
      status: 403,
      title: 'You declined access — try again',
      action,
    })
    expect(toPublicError(err)).toEqual({
      status: 403,
      code: 'LOGIN_DECLINED',
      title: 'You declined access — try again',
      message: 'You declined access.',
      action,
    })
  })

  it('when an AppError has no status, then it is a 400 with the default title', () => {
    expect(toPublicError(new AppError(ErrorCode.BAD_REQUEST, 'Bad input.'))).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      title: 'Something went wrong',
      message: 'Bad input.',
      action: undefined,
    })
  })

  it.each([502, 503])('when an AppError has status %i, then it is exposed', (status) => {
    const err = new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'The provider is not answering.', {
      status,
      title: 'The provider is not answering',
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

  it('when an AppError has status 500, then it is not exposed', () => {
    const err = new AppError(ErrorCode.INTERNAL, 'token record for grant g-1 is corrupt', {
      status: 500,
      title: 'Internal details',
    })
    expect(err.expose).toBe(false)
    const publicError = toPublicError(err)
    expect(publicError).toMatchObject({ status: 500, code: 'INTERNAL', message: GENERIC_MESSAGE })
    expect(JSON.stringify(publicError)).not.toContain('g-1')
    expect(publicError.title).not.toBe('Internal details')
  })

  it.each([
    ['a string', 'boom'],
    ['undefined', undefined],
    ['an object', { status: 403, message: 'forged' }],
  ])('when %s is thrown, then the public error is a generic 500', (_what, thrown) => {
    expect(toPublicError(thrown)).toMatchObject({ status: 500, message: GENERIC_MESSAGE })
  })
})
