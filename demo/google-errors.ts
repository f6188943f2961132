// Google-style error bodies (google.rpc.Status as JSON, AIP-193) for the demo People API.
// Wording follows captured People API responses (contacts-apis.md §3.6, §7.2, §7.5) so that
// the importer's Google adapter is exercised against the real shapes.
import type { Response } from 'express'

export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] }
}

const LIST_CONNECTIONS = 'google.people.v1.PeopleService.ListConnections'

function errorInfo(reason: string, withMethod = true) {
  return {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason,
    domain: 'googleapis.com',
    metadata: withMethod
      ? { service: 'people.googleapis.com', method: LIST_CONNECTIONS }
      : { service: 'people.googleapis.com' },
  }
}

export function googleError(
  code: number,
  status: string,
  message: string,
  details?: unknown[],
): GoogleErrorBody {
  return { error: details ? { code, message, status, details } : { code, message, status } }
}

export const INVALID_ARGUMENT_MESSAGE = 'Request contains an invalid argument.'
export const EXPIRED_SYNC_TOKEN_MESSAGE =
  'Sync token is expired. Clear local cache and retry call without the sync token.'

/**
 * How an expired sync token is answered (contacts-apis.md §3.3): HTTP 400 with reason
 * EXPIRED_SYNC_TOKEN and one of the two `status` strings seen in captured responses, or the
 * legacy 410 of older docs.
 */
export type ExpiredSyncTokenAnswer = 'FAILED_PRECONDITION' | 'INVALID_ARGUMENT' | 'GONE'

export const googleErrors = {
  credentialsMissing: () =>
    googleError(
      401,
      'UNAUTHENTICATED',
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      [errorInfo('CREDENTIALS_MISSING')],
    ),
  invalidCredentials: () =>
    googleError(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      [errorInfo('ACCESS_TOKEN_EXPIRED')],
    ),
  malformedCredentials: () =>
    googleError(400, 'INVALID_ARGUMENT', 'Malformed or duplicated credentials.'),
  scopeInsufficient: () =>
    googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', [
      errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT'),
    ]),
  invalidArgument: (message = INVALID_ARGUMENT_MESSAGE) =>
    googleError(400, 'INVALID_ARGUMENT', message),
  notFound: () => googleError(404, 'NOT_FOUND', 'Requested entity was not found.'),
  rateLimited: () =>
    googleError(
      429,
      'RESOURCE_EXHAUSTED',
      "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'people.googleapis.com' for consumer 'project_number:000000000000'.",
      [
        {
          ...errorInfo('RATE_LIMIT_EXCEEDED', false),
          metadata: {
            service: 'people.googleapis.com',
            quota_metric: 'people.googleapis.com/read_requests',
            quota_limit: 'ReadRequestsPerMinutePerUser',
            quota_limit_value: '90',
            consumer: 'projects/000000000000',
          },
        },
      ],
    ),
  expiredSyncToken: (answer: ExpiredSyncTokenAnswer = 'FAILED_PRECONDITION') =>
    answer === 'GONE'
      ? // The legacy answer (G1-old): 410, and no ErrorInfo to go by.
        googleError(410, 'FAILED_PRECONDITION', EXPIRED_SYNC_TOKEN_MESSAGE)
      : googleError(400, answer, EXPIRED_SYNC_TOKEN_MESSAGE, [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'EXPIRED_SYNC_TOKEN',
            domain: 'people.googleapis.com',
          },
        ]),
  internal: () => googleError(500, 'INTERNAL', 'Internal error encountered.'),
  unavailable: () => googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
} as const

/** A plausible Google body for any status, used when a fault or a parser error names only a status. */
export function googleErrorForStatus(status: number): GoogleErrorBody {
  switch (status) {
    case 400:
      return googleErrors.invalidArgument()
    case 401:
      return googleErrors.invalidCredentials()
    case 403:
      return googleErrors.scopeInsufficient()
    case 404:
      return googleErrors.notFound()
    case 410:
      return googleErrors.expiredSyncToken('GONE')
    case 429:
      return googleErrors.rateLimited()
    case 503:
      return googleErrors.unavailable()
    case 504:
      return googleError(
        504,
        'DEADLINE_EXCEEDED',
        'Deadline expired before operation could complete.',
      )
    case 409:
      return googleError(409, 'ABORTED', 'The operation was aborted.')
    default:
      return status >= 500
        ? googleError(status, 'INTERNAL', 'Internal error encountered.')
        : googleError(status, 'INVALID_ARGUMENT', INVALID_ARGUMENT_MESSAGE)
  }
}

export function sendGoogleError(res: Response, body: GoogleErrorBody): void {
  res.status(body.error.code).json(body)
}
