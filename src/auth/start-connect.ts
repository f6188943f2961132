// POST /connect: a signed-in person connects another source (or the same one again, to
// reconnect) without signing out. A flow of its own — fresh state, nonce and PKCE, its own
// cookie — whose pending record says "connect, for this person": the callback adds the
// account to exactly that person, and only in a session still signed in as them
// (finish-login.ts). A POST with the CSRF token, so that no other site can start it.
// `connection` names the connection to reconnect: its provider, and its email address as
// login_hint, so the provider can offer the right account first.
import type { Request, Response } from 'express'
import { AppError, ErrorCode, unknownProvider } from '../errors.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { PeopleStore } from '../people/people-store.ts'
import type { BeginAuthorization } from './authorization-request.ts'

/** Where a connect flow's failures lead back to: the sources of the address book. */
const RETURN_TO = '/contacts'

/** One value or none; a repeated field is two values, refused. */
function field(req: Request, name: string): string | undefined {
  const value: unknown = req.body?.[name]
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') {
    throw new AppError(ErrorCode.BAD_REQUEST, 'Choose one source to connect.', { status: 400 })
  }
  return value
}

export function createStartConnect(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  people: Pick<PeopleStore, 'connection'>
  beginAuthorization: BeginAuthorization
}) {
  return async function startConnect(req: Request, res: Response) {
    const personId = req.session.personId as string
    const providerId = field(req, 'provider')
    const connectionId = field(req, 'connection')
    let loginHint: string | undefined
    let chosen = providerId
    if (connectionId !== undefined) {
      // Another person's connection is answered like one that does not exist.
      const connection = await deps.people.connection(personId, connectionId)
      if (!connection) {
        throw new AppError(ErrorCode.NOT_FOUND, 'There is no such connection.', { status: 404 })
      }
      if (providerId !== undefined && providerId !== connection.provider) {
        throw new AppError(ErrorCode.BAD_REQUEST, 'That connection is with another provider.', {
          status: 400,
        })
      }
      chosen = connection.provider
      loginHint = connection.email
    }
    const provider = chosen === undefined ? undefined : deps.providers.get(chosen)
    if (!provider) throw unknownProvider()
    const url = await deps.beginAuthorization(req, res, provider, {
      returnTo: RETURN_TO,
      connect: { personId },
      loginHint,
    })
    res.redirect(303, url.href)
  }
}
