// POST /logout ends everything this session started: the grants of the connections it
// signed in with or added (RFC 7009, revoked at the provider and forgotten here), the
// session and its cookie, and then offers to end the session at the provider too
// (RP-Initiated Logout): on a shared computer, the next person must not find the provider
// still signed in and one "Allow" away from these contacts. POST /disconnect ends one
// connection and keeps the person signed in (and their imported data).
import type { Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { Connections } from '../people/connections.ts'
import type { PeopleStore } from '../people/people-store.ts'
import type { SignIn } from '../people/sign-in.ts'
import type { PersonSessions } from '../session/person-sessions.ts'
import { destroySession } from '../session/session-ops.ts'
import type { RevocationOutcome } from '../tokens/revoke-grant.ts'

/** The start page tells what happened at the provider when the person needs to act. */
function noticeFor(event: 'signedout' | 'disconnected', outcomes: RevocationOutcome[]) {
  if (outcomes.includes('failed')) return `?${event}=unconfirmed`
  if (outcomes.includes('unsupported')) return `?${event}=local`
  if (outcomes.includes('revoked') && event === 'disconnected') return '?disconnected=revoked'
  return ''
}

export interface SignOutDeps {
  people: PeopleStore
  connections: Connections
  signIn: SignIn
  personSessions: PersonSessions
  providers: ReadonlyMap<string, ProviderClient>
  log: Logger
  cookieName: string
  secure: boolean
  /** Where the provider sends the browser after its own sign-out: the start page. */
  postLogoutRedirectUri: string
}

/**
 * Ends the connections this session made, and a sign-in still waiting for an answer.
 * Returns what the providers said, and the provider of the latest connection.
 */
export async function endSessionConnections(
  req: Request,
  deps: Pick<SignOutDeps, 'people' | 'connections' | 'signIn'>,
): Promise<{ outcomes: RevocationOutcome[]; lastProvider: string | undefined }> {
  const { personId, connectionIds = [], pendingChoice } = req.session
  const outcomes: RevocationOutcome[] = []
  let lastProvider: string | undefined
  if (pendingChoice) await deps.signIn.cancel(pendingChoice)
  for (const id of personId ? connectionIds : []) {
    const connection = await deps.people.connection(personId as string, id)
    if (!connection) continue
    lastProvider = connection.provider
    if (connection.status === 'active') outcomes.push(await deps.connections.disconnect(connection))
  }
  return { outcomes, lastProvider }
}

export function createSignOut(deps: SignOutDeps) {
  /**
   * Whatever else fails — the provider, PostgreSQL, Redis — the browser leaves signed out:
   * its cookie is cleared and the session ended as far as the store lets us. On a shared
   * computer the next person must never find the previous one signed in.
   */
  async function endBrowserSession(req: Request, res: Response) {
    try {
      await destroySession(req)
    } catch (err) {
      deps.log.warn(
        { err, reqId: req.id },
        'session could not be deleted at sign-out; cookie cleared',
      )
    } finally {
      res.clearCookie(deps.cookieName, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.secure,
      })
    }
  }

  async function logout(req: Request, res: Response) {
    let outcomes: RevocationOutcome[] = []
    let lastProvider: string | undefined
    try {
      ;({ outcomes, lastProvider } = await endSessionConnections(req, deps))
    } catch (err) {
      // The grants could not all be ended; the page says so (the session still ends).
      outcomes = ['failed']
      deps.log.warn({ err, reqId: req.id }, 'connections could not all be ended at sign-out')
    } finally {
      await endBrowserSession(req, res)
    }
    const provider = lastProvider ? deps.providers.get(lastProvider) : undefined
    const endSession = await provider
      ?.endSessionUrl(deps.postLogoutRedirectUri)
      .catch(() => undefined)
    res.redirect(303, endSession?.href ?? `/${noticeFor('signedout', outcomes)}`)
  }

  /** POST /logout/everywhere: every session of the person ends, and every connection. */
  async function logoutEverywhere(req: Request, res: Response) {
    const personId = req.session.personId as string
    const outcomes: RevocationOutcome[] = []
    try {
      if (req.session.pendingChoice) await deps.signIn.cancel(req.session.pendingChoice)
      for (const connection of await deps.people.connections(personId)) {
        if (connection.status === 'active') {
          outcomes.push(await deps.connections.disconnect(connection))
        }
      }
      const ended = await deps.personSessions.endAll(personId)
      deps.log.info({ person: personId, sessions: ended }, 'signed out everywhere')
    } catch (err) {
      outcomes.push('failed')
      deps.log.warn({ err, reqId: req.id }, 'sign-out everywhere did not complete')
    } finally {
      await endBrowserSession(req, res)
    }
    res.redirect(303, `/${noticeFor('signedout', outcomes) || '?signedout=everywhere'}`)
  }

  async function disconnect(req: Request, res: Response) {
    const personId = req.session.personId as string
    const wanted: unknown = req.body?.connection
    // Two values are not "no choice": never fall back to disconnecting the only connection.
    if (wanted !== undefined && typeof wanted !== 'string') {
      throw new AppError(ErrorCode.BAD_REQUEST, 'Name one connection to disconnect.', {
        status: 400,
      })
    }
    const all = await deps.people.connections(personId)
    const open = all.filter((c) => c.status !== 'disconnected')
    // Without a choice, the only connection there is (the form names one when there are more).
    const connection =
      typeof wanted === 'string'
        ? all.find((c) => c.id === wanted)
        : open.length <= 1
          ? open[0]
          : undefined
    if (typeof wanted === 'string' && !connection) {
      // Not one of this person's: nothing to do, and nothing to pretend was done.
      throw new AppError(ErrorCode.NOT_FOUND, 'There is no such connection.', { status: 404 })
    }
    if (wanted === undefined && open.length > 1) {
      throw new AppError(ErrorCode.BAD_REQUEST, 'Name one connection to disconnect.', {
        status: 400,
      })
    }
    // Already disconnected (a second click): done, idempotently.
    const outcomes =
      connection && connection.status !== 'disconnected'
        ? [await deps.connections.disconnect(connection)]
        : []
    res.redirect(303, `/${noticeFor('disconnected', outcomes) || '?disconnected=done'}`)
  }

  return { logout, logoutEverywhere, disconnect }
}
