// Microsoft Graph's error envelope (contacts-apis.md §4.4, §8.2, §8.5):
// `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`,
// with the codes Graph uses for each situation. Clients branch on `code`, so the codes are
// exact; the messages are Graph's own wording.
import type { Response } from 'express'

export interface GraphErrorBody {
  error: { code: string; message: string; innerError: Record<string, string> }
}

export const graphErrors = {
  invalidToken: () =>
    [401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'] as const,
  missingToken: () => [401, 'InvalidAuthenticationToken', 'Access token is empty.'] as const,
  accessDenied: () =>
    [403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'] as const,
  notFound: () =>
    [404, 'ErrorItemNotFound', 'The specified object was not found in the store.'] as const,
  badRequest: (message: string) => [400, 'ErrorInvalidArgument', message] as const,
  syncStateNotFound: () =>
    [
      410,
      'SyncStateNotFound',
      'The sync state generation is not found; generation=149;[highest=157][157][155][156].',
    ] as const,
  resyncRequired: () =>
    [410, 'resyncRequired', 'Resync required. Replace any local items.'] as const,
  tooManyRequests: () => [429, 'TooManyRequests', 'Please retry again later.'] as const,
  serverError: () => [500, 'generalException', 'An unspecified error has occurred.'] as const,
  unavailable: () =>
    [503, 'serviceNotAvailable', 'Service is unavailable. Try again later.'] as const,
  gatewayTimeout: () => [504, 'gatewayTimeout', 'The gateway timed out.'] as const,
}

export type GraphError = readonly [status: number, code: string, message: string]

const FOR_STATUS: Record<number, () => GraphError> = {
  400: () => graphErrors.badRequest('Invalid request.'),
  401: graphErrors.invalidToken,
  403: graphErrors.accessDenied,
  404: graphErrors.notFound,
  410: graphErrors.syncStateNotFound,
  429: graphErrors.tooManyRequests,
  500: graphErrors.serverError,
  503: graphErrors.unavailable,
  504: graphErrors.gatewayTimeout,
}

export function graphErrorForStatus(status: number): GraphError {
  return (FOR_STATUS[status] ?? FOR_STATUS[status >= 500 ? 500 : 400] ?? graphErrors.serverError)()
}

export function graphErrorBody(res: Response, [, code, message]: GraphError): GraphErrorBody {
  const innerError: Record<string, string> = {
    date: new Date().toISOString().slice(0, 19),
    'request-id': String(res.getHeader('request-id') ?? ''),
    'client-request-id': String(res.getHeader('client-request-id') ?? ''),
  }
  // Throttling answers carry the status again inside (§4.4's sample).
  if (code === 'TooManyRequests') {
    Object.assign(innerError, { code: '429', message: 'Please retry after', status: '429' })
  }
  return { error: { code, message, innerError } }
}

export function sendGraphError(res: Response, error: GraphError): void {
  res.status(error[0]).json(graphErrorBody(res, error))
}
