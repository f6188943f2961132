// openid-client's real fetchProtectedResource, without discovery, for tests that run a
// contacts adapter against a local fake: requests go out exactly as in production (Bearer
// header, challenge parsing, timeout), with no authorization server to start.
import * as client from 'openid-client'

export function resourceFetcher(
  options: { timeoutSeconds?: number } = {},
): (accessToken: string, url: URL, headers?: Record<string, string>) => Promise<Response> {
  // Only the issuer is required; no request goes there.
  const config = new client.Configuration({ issuer: 'http://issuer.invalid' }, 'contacts-test')
  client.allowInsecureRequests(config) // the fakes listen on http://127.0.0.1
  config.timeout = options.timeoutSeconds ?? 5
  return (accessToken, url, headers) =>
    client.fetchProtectedResource(
      config,
      accessToken,
      url,
      'GET',
      undefined,
      headers ? new Headers(headers) : undefined,
    )
}
