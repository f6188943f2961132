// The callback's own refusals, before any token request: a fixed message per code, so the
// clean failure page (web/sign-in-failure.ts) can say the same from the code alone, and
// anonymous or forged callbacks leave nothing behind in any store.
import { AppError, ErrorCode } from '../errors.ts'

export const LOGIN_PROBLEMS = {
  [ErrorCode.LOGIN_STATE_MISSING]:
    'The answer from the provider did not carry exactly one "state" value, so it was rejected.',
  [ErrorCode.LOGIN_STATE_UNKNOWN]:
    'This sign-in link has expired or was already used. Please sign in again.',
  [ErrorCode.LOGIN_STATE_MISMATCH]:
    'This sign-in was started in another browser, or replaced by newer sign-ins in this one, so it cannot finish here. Please sign in again.',
} as const

export type LoginProblem = keyof typeof LOGIN_PROBLEMS

export function isLoginProblem(code: unknown): code is LoginProblem {
  return typeof code === 'string' && Object.hasOwn(LOGIN_PROBLEMS, code)
}

export function loginProblem(code: LoginProblem, providerId: string | undefined): AppError {
  return new AppError(code, LOGIN_PROBLEMS[code], { status: 400, provider: providerId })
}
