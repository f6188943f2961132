// Where "sign in", "sign in again" and "reconnect" buttons lead.
export function loginHref(providerId?: string, returnTo?: string): string {
  const params = new URLSearchParams()
  if (providerId) params.set('provider', providerId)
  if (returnTo && returnTo !== '/') params.set('returnTo', returnTo)
  const query = params.toString()
  return query ? `/login?${query}` : '/login'
}
