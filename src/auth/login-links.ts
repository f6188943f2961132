// Where "sign in", "sign in again" and "reconnect" buttons lead, and the errors that
// offer them.
import { AppError, ErrorCode } from '../errors.ts'

export function loginHref(providerId?: string, returnTo?: string): string {
  const params = new URLSearchParams()
  if (providerId) params.set('provider', providerId)
  if (returnTo && returnTo !== '/') params.set('returnTo', returnTo)
  const query = params.toString()
  return query ? `/login?${query}` : '/login'
}

/** The grant cannot be used any more (revoked, expired, refused): authorize again. */
export function reconnectError(
  providerId: string,
  options: { code?: ErrorCode; message?: string; title?: string; cause?: unknown } = {},
): AppError {
  return new AppError(
    options.code ?? ErrorCode.GRANT_REVOKED,
    options.message ?? 'Access to your contacts was revoked or expired — reconnect to continue.',
    {
      status: 403,
      title: options.title ?? 'Reconnect to your provider',
      action: { label: 'Reconnect', href: loginHref(providerId) },
      cause: options.cause,
    },
  )
}

export function unknownProvider(): AppError {
  return new AppError(ErrorCode.UNKNOWN_PROVIDER, 'There is no sign-in provider by that name.', {
    status: 404,
    title: 'Unknown provider',
    action: { label: 'Choose a provider', href: '/login' },
  })
}
