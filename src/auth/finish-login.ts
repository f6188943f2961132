// GET /auth/callback/:provider: the provider sends the browser back here with a code.
// Every check that needs no provider happens first, so a forged callback never causes a
// token request: exactly one `state`; one this app issued and still within its lifetime
// (its MAC, no I/O); this browser's pending sign-in for it (its cookie: the browser
// binding); never used before (a one-time marker in Redis, set now, so a replayed URL fails
// on every instance); for this provider and issuer. openid-client then
// checks `iss` (RFC 9207), state, error, and that no implicit-flow tokens came, exchanges
// the code with client_secret_basic and the PKCE verifier, and validates the ID token and
// its nonce. Only then are the tokens stored and the account attached to its person
// (people/sign-in.ts), and the session regenerated.
//
// A connect flow (auth/start-connect.ts) was started by a signed-in person for themselves:
// it finishes only in a session still signed in as that person — checked before the code
// is exchanged, so a flow that comes back to a signed-out browser, or to one signed in as
// somebody else since, gets no tokens at all (login CSRF: an account must never be
// attached to a person who did not ask for it, since signing in with it would then open
// that person's address book). Its account is added to the person without the add/switch
// question, and its import starts at once.
import { randomBytes } from 'node:crypto'
import type { Request, Response } from 'express'
import { AppError, ErrorCode, unknownProvider } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { SignIn } from '../people/sign-in.ts'
import type { PersonSessions } from '../session/person-sessions.ts'
import { regenerateSession, saveSession } from '../session/session-ops.ts'
import type { TokenStore } from '../tokens/token-store.ts'
import type { ConsumedStates } from './consumed-states.ts'
import type { LoginCookies } from './login-cookies.ts'
import { loginProblem } from './login-problems.ts'
import type { PendingLogins } from './pending-login.ts'

export function createFinishLogin(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  pendingLogins: PendingLogins
  loginCookies: LoginCookies
  consumedStates: ConsumedStates
  tokens: TokenStore
  signIn: SignIn
  personSessions: PersonSessions
  log: Logger
  /** How long a sign-in with another account waits for "add" or "switch". */
  choiceTtlSeconds: number
  /** What the domain does once a person is signed in (imports/start-imports.ts afterSignIn). */
  afterSignIn?: (personId: string, connectionId: string) => Promise<unknown>
  /** After a connect flow: the connection's import (start-imports.ts afterConnect). */
  afterConnect?: (personId: string, connectionId: string) => Promise<{ id: string }>
}) {
  /** Best effort: the failure that brought us here is what the person sees. */
  async function discardIssued(
    provider: ProviderClient,
    issued: Awaited<ReturnType<ProviderClient['exchangeCode']>>,
    grantId: string,
    failure: unknown,
  ) {
    await deps.tokens.remove(grantId).catch(() => {})
    // The account is another person's connection: the grant at the provider may well be
    // theirs too (Google and oidc-provider hand one grant per account and client, and
    // revoking any of its tokens ends it), so these tokens are only forgotten here.
    if (failure instanceof AppError && failure.code === ErrorCode.ACCOUNT_TAKEN) return
    try {
      if (!(await provider.supportsRevocation())) return
      if (issued.refreshToken) await provider.revoke(issued.refreshToken, 'refresh_token')
      await provider.revoke(issued.accessToken, 'access_token').catch(() => {})
      deps.log.info(
        { provider: provider.settings.id },
        'sign-in failed after the code exchange; issued tokens revoked',
      )
    } catch (err) {
      deps.log.warn(
        { err, provider: provider.settings.id },
        'sign-in failed after the code exchange, and the issued tokens could not be revoked',
      )
    }
  }

  return async function finishLogin(req: Request, res: Response) {
    // The URL carries a code and a state: keep both out of Referer headers even if the
    // app-wide policy changes (RFC 9700 §4.2.4). Caching is off for all of auth/.
    res.set('Referrer-Policy', 'no-referrer')
    const providerId = String(req.params.provider)
    const provider = deps.providers.get(providerId)
    if (!provider) throw unknownProvider()

    const { state } = req.query
    if (typeof state !== 'string' || state.length === 0) {
      throw loginProblem(ErrorCode.LOGIN_STATE_MISSING, providerId)
    }
    const unknown = () => loginProblem(ErrorCode.LOGIN_STATE_UNKNOWN, providerId)
    // Forged or too old: refused before any I/O.
    if (deps.pendingLogins.checkState(state) !== 'issued') throw unknown()
    const held = deps.loginCookies.find(req, state)
    if (!held) {
      // Ours and still valid, but this browser holds no sign-in for it: either it was used
      // (its cookie is cleared then), or it belongs to another browser (login CSRF), or
      // newer sign-ins here have pushed it out.
      if (await deps.consumedStates.wasConsumed(state)) throw unknown()
      throw loginProblem(ErrorCode.LOGIN_STATE_MISMATCH, providerId)
    }
    // Spent from here on, whatever happens next: this browser forgets it, and the marker
    // makes sure no instance accepts it again (a copied cookie included).
    deps.loginCookies.forget(res, held.name)
    if (!(await deps.consumedStates.consume(state, deps.pendingLogins.expiresAt(state)))) {
      throw unknown()
    }
    const pending = held.login
    // The state was issued for another provider: a mix-up attempt (RFC 9700 §4.4).
    if (pending.provider !== providerId || pending.issuer !== provider.settings.issuer.href) {
      throw new AppError(
        ErrorCode.LOGIN_INVALID_RESPONSE,
        'The answer came back for a different provider than the one you signed in with.',
        { status: 400, provider: providerId },
      )
    }

    // A connect flow belongs to the session of the person who started it; nothing is asked
    // of the provider for any other.
    if (pending.connect && req.session.personId !== pending.connect.personId) {
      throw loginProblem(
        req.session.personId ? ErrorCode.CONNECT_OTHER_PERSON : ErrorCode.CONNECT_SIGNED_OUT,
        providerId,
      )
    }

    const query = new URL(req.originalUrl, 'http://callback.invalid').search
    const issued = await provider.exchangeCode(query, {
      state,
      nonce: pending.nonce,
      codeVerifier: pending.codeVerifier,
      returnTo: pending.returnTo,
    })

    const grantId = randomBytes(24).toString('base64url')
    let personId: string
    let connectionId: string
    try {
      const now = Math.floor(Date.now() / 1000)
      const subject = issued.claims.sub
      // Stored before anybody owns it, with the short life of an unanswered question; it
      // gets the connection's lifetime once attached (people/sign-in.ts).
      await deps.tokens.create(
        grantId,
        {
          provider: providerId,
          subject,
          accessToken: issued.accessToken,
          refreshToken: issued.refreshToken,
          refreshExpiresAt: issued.refreshExpiresAt,
          idToken: issued.idToken,
          expiresAt: issued.expiresAt,
          scope: issued.scope,
          createdAt: now,
          refreshedAt: undefined,
        },
        { ttlSeconds: deps.choiceTtlSeconds },
      )
      const account = {
        identity: {
          provider: providerId,
          issuer: provider.settings.issuer.href,
          subject,
          displayName: typeof issued.claims.name === 'string' ? issued.claims.name : undefined,
          email: typeof issued.claims.email === 'string' ? issued.claims.email : undefined,
        },
        grantId,
        scopes: issued.scope,
      }

      if (pending.connect) {
        const connection = await deps.signIn.connect(account, pending.connect.personId)
        // The same person, signed in already: the session id stays (the sign-in regenerated
        // it; regenerating now would also bring back a session that a sign-out in another
        // tab has just ended). Signing out ends this connection too, as for "add".
        req.session.connectionIds = [
          ...new Set([...(req.session.connectionIds ?? []), connection.id]),
        ]
        await saveSession(req)
        personId = pending.connect.personId
        connectionId = connection.id
      } else {
        const outcome = await deps.signIn.complete(account, req.session.personId)
        if (outcome.kind === 'ask') {
          // Signed in as somebody already, back with another account: ask before mixing two
          // address books or leaving one. Nothing about the current person changes yet.
          if (req.session.pendingChoice) await deps.signIn.cancel(req.session.pendingChoice)
          req.session.pendingChoice = {
            ...account,
            returnTo: pending.returnTo,
            expiresAt: Date.now() + deps.choiceTtlSeconds * 1000,
          }
          await saveSession(req)
          res.redirect(303, '/connections/choose')
          return
        }

        const sameSession = req.session.personId === outcome.personId
        const connectionIds = sameSession ? (req.session.connectionIds ?? []) : []
        // A new session id at sign-in: an id planted before sign-in is worthless afterwards
        // (session fixation). Other tabs' sign-ins live in their own cookies and still finish.
        await regenerateSession(req)
        req.session.personId = outcome.personId
        req.session.signedInAt = Date.now()
        req.session.connectionIds = [...new Set([...connectionIds, outcome.connection.id])]
        await saveSession(req)
        personId = outcome.personId
        connectionId = outcome.connection.id

        deps.log.info(
          { provider: providerId, person: outcome.personId, connection: outcome.connection.id },
          'signed in',
        )
      }
    } catch (err) {
      // Tokens were issued, and this sign-in will not use them: nobody could ever reach
      // them again, so they are revoked at the provider and forgotten here.
      await discardIssued(provider, issued, grantId, err)
      throw err
    }
    if (pending.connect) {
      // Connected on purpose, to import: its progress is the next page. Failing to start
      // the import never fails the connection: "Import now" waits on the address book.
      const run = await deps.afterConnect?.(personId, connectionId).catch((err: unknown) => {
        deps.log.warn({ err, person: personId }, 'no import started after connecting')
        return undefined
      })
      res.redirect(303, run ? `/imports/${run.id}` : '/contacts')
      return
    }
    // Signed in by now: failing to index the session only weakens "sign out everywhere".
    await deps.personSessions.add(personId, req.sessionID).catch((err: unknown) => {
      deps.log.warn({ err, person: personId }, 'session not indexed for sign-out everywhere')
    })
    // A first sign-in starts an import by itself (the domain decides); failing to start
    // one never fails the sign-in: "Import now" is one click away.
    await deps.afterSignIn?.(personId, connectionId).catch((err: unknown) => {
      deps.log.warn({ err, person: personId }, 'no import started after sign-in')
    })
    res.redirect(303, pending.returnTo)
  }
}
