// The callback's own refusals, before any token request — a missing, unknown or foreign
// state, and a connect flow that comes back to another sign-in: a fixed message per code,
// so the clean failure page (web/sign-in-failure.ts) can say the same from the code alone,
// and anonymous or forged callbacks leave nothing behind in any store.
import { AppError, ErrorCode } from '../errors.ts'

export const LOGIN_PROBLEMS = {
  [ErrorCode.LOGIN_STATE_MISSING]:
    'The answer from the provider did not carry exactly one "state" value, so it was rejected.',
  [ErrorCode.LOGIN_STATE_UNKNOWN]:
    'This sign-in link has expired or was already used. Please sign in again.',
  [ErrorCode.LOGIN_STATE_MISMATCH]:
    'This sign-in was started in another browser, or replaced by newer sign-ins in this one, so it cannot finish here. Please sign in again.',
  [ErrorCode.CONNECT_SIGNED_OUT]:
    'You were signed out before this connection finished, so nothing was added. Sign in, then connect the source again from your address book.',
  [ErrorCode.CONNECT_OTHER_PERSON]:
    'This connection was started by someone else who was signed in here, so nothing was added to this address book. Connect the source again from your address book.',
} as const

export type LoginProblem = keyof typeof LOGIN_PROBLEMS

export function isLoginProblem(code: unknown): code is LoginProblem {
  return typeof code === 'string' && Object.hasOwn(LOGIN_PROBLEMS, code)
}

export function loginProblem(code: LoginProblem, providerId: string | undefined): AppError {
  return new AppError(code, LOGIN_PROBLEMS[code], { status: 400, provider: providerId })
}
