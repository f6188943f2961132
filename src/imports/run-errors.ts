// What a failed import tells the person, and what it means for the connection. The
// messages are the AppErrors' own (written for people, errors.ts and
// contacts/source-errors.ts); anything else gets a plain sentence, never a stack or an
// upstream body.
//   - the grant cannot read contacts any more (revoked, refused after a refresh, missing
//     scope, another account): the connection needs reconnecting — no retry button;
//   - the provider stayed unavailable through every retry, or answered nonsense: a retry
//     button, since later may work;
//   - our own stores not answering is not the run's failure: the job is tried again
//     (BullMQ attempts) and resumes from its cursor.
import { isDatabaseUnavailable } from '../db/database.ts'
import { AppError, ErrorCode } from '../errors.ts'
import { isRedisUnavailable } from '../redis.ts'
import type { ImportError } from './imports-store.ts'

export const RECONNECT_CODES = new Set<string>([
  ErrorCode.GRANT_REVOKED,
  ErrorCode.CONTACTS_UNAUTHORIZED,
  ErrorCode.CONTACTS_FORBIDDEN,
  ErrorCode.IDENTITY_MISMATCH,
])

export const needsReconnect = (err: unknown): boolean =>
  err instanceof AppError && RECONNECT_CODES.has(err.code)

/** Our own PostgreSQL or Redis is away: try the job again later rather than fail the run. */
export const isInfrastructureFailure = (err: unknown): boolean =>
  !(err instanceof AppError) && (isDatabaseUnavailable(err) || isRedisUnavailable(err))

const RECONNECT_MESSAGE =
  'Access to your contacts has ended. Reconnect your account to import again.'
const INTERNAL_MESSAGE =
  'The import stopped because of a problem on our side. Nothing was lost; please try again.'

export function importErrorOf(err: unknown): ImportError {
  if (err instanceof AppError && err.expose) {
    if (needsReconnect(err)) {
      // Every reconnect message says "reconnect"; the fallback makes sure of it.
      const message = /reconnect/i.test(err.message) ? err.message : RECONNECT_MESSAGE
      return { code: err.code, message, retryable: false }
    }
    if (err.code === ErrorCode.UNKNOWN_PROVIDER) {
      return { code: err.code, message: err.message, retryable: false }
    }
    return { code: err.code, message: err.message, retryable: true }
  }
  return { code: ErrorCode.INTERNAL, message: INTERNAL_MESSAGE, retryable: true }
}

/** The run cannot go on because the connection is no longer active. */
export function connectionEnded(provider: string): AppError {
  return new AppError(ErrorCode.GRANT_REVOKED, RECONNECT_MESSAGE, { status: 403, provider })
}
