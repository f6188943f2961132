// GET/POST /connections/choose: a signed-in person came back from a provider with another
// account (another provider, or another account at the same one). Nothing is mixed until
// they answer: "add" makes it a second connection of this person; "switch" ends this
// session's connections, as signing out would, and signs in as that account's person.
import type { Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { Connections } from '../people/connections.ts'
import type { PeopleStore } from '../people/people-store.ts'
import type { SignIn } from '../people/sign-in.ts'
import type { PersonSessions } from '../session/person-sessions.ts'
import { regenerateSession, saveSession } from '../session/session-ops.ts'
import type { PendingChoice } from './session-data.ts'
import { endSessionConnections } from './sign-out.ts'

function choiceExpired(): AppError {
  return new AppError(
    ErrorCode.CHOICE_EXPIRED,
    'This question was already answered or has expired. Nothing was changed.',
    { status: 410 },
  )
}

export function createChooseAccount(deps: {
  people: PeopleStore
  connections: Connections
  signIn: SignIn
  personSessions: PersonSessions
  providers: ReadonlyMap<string, ProviderClient>
  /** After the answer: the domain may import the account (imports/start-imports.ts). */
  afterSignIn?: (personId: string, connectionId: string) => Promise<unknown>
  log?: Logger
}) {
  /** The waiting sign-in, if it is still waiting. */
  async function pendingOf(req: Request): Promise<PendingChoice> {
    const pending = req.session.pendingChoice
    if (!pending) throw choiceExpired()
    if (pending.expiresAt <= Date.now()) {
      delete req.session.pendingChoice
      await deps.signIn.cancel(pending)
      throw choiceExpired()
    }
    return pending
  }

  /** A fresh session id whenever who is signed in, or with what, changes (fixation). */
  async function startSession(req: Request, personId: string, connectionIds: string[]) {
    await regenerateSession(req)
    req.session.personId = personId
    req.session.signedInAt = Date.now()
    req.session.connectionIds = connectionIds
    await saveSession(req)
    await deps.personSessions.add(personId, req.sessionID)
  }

  /** As after a sign-in: never a reason for the answer to fail. */
  async function afterAnswer(personId: string, connectionId: string) {
    await deps.afterSignIn?.(personId, connectionId).catch((err: unknown) => {
      deps.log?.warn({ err, person: personId }, 'no import started after sign-in')
    })
  }

  async function show(req: Request, res: Response) {
    const pending = await pendingOf(req)
    const { issuer, subject } = pending.identity
    const taken = (await deps.people.connectionByIdentity(issuer, subject)) !== undefined
    res.render('pages/choose-account', {
      title: 'Add this account?',
      account: {
        providerLabel:
          deps.providers.get(pending.identity.provider)?.settings.label ??
          pending.identity.provider,
        name: pending.identity.displayName ?? pending.identity.email ?? pending.identity.subject,
        email: pending.identity.email,
      },
      taken,
    })
  }

  async function answer(req: Request, res: Response) {
    const choice: unknown = req.body?.choice
    if (choice !== 'add' && choice !== 'switch' && choice !== 'cancel') {
      throw new AppError(ErrorCode.BAD_REQUEST, 'Choose one of the buttons on the page.', {
        status: 400,
      })
    }
    const pending = await pendingOf(req)
    delete req.session.pendingChoice
    const personId = req.session.personId as string
    if (choice === 'cancel') {
      await deps.signIn.cancel(pending)
      await saveSession(req)
      res.redirect(303, '/')
      return
    }
    if (choice === 'add') {
      const connection = await deps.signIn.add(pending, personId)
      await startSession(req, personId, [...(req.session.connectionIds ?? []), connection.id])
      await afterAnswer(personId, connection.id)
      res.redirect(303, pending.returnTo)
      return
    }
    await endSessionConnections(req, deps)
    const switched = await deps.signIn.switchTo(pending)
    await startSession(req, switched.personId, [switched.connection.id])
    await afterAnswer(switched.personId, switched.connection.id)
    res.redirect(303, pending.returnTo)
  }

  return { show, answer }
}
