// Real openid-client errors, built the way the library builds them, for unit tests.
import * as client from 'openid-client'

/** What openid-client throws for an answer with a WWW-Authenticate header. */
export function challengeError(
  status: number,
  header: string,
  challenges: client.WWWAuthenticateChallenge[],
): client.WWWAuthenticateChallengeError {
  return new client.WWWAuthenticateChallengeError('server responded with a challenge', {
    cause: challenges,
    response: new Response(null, { status, headers: { 'www-authenticate': header } }),
  })
}
