// Sign-in, callback, the add-or-switch question, sign-out and disconnect, read top to
// bottom like a table.
import express, { type Router } from 'express'
import type { BeginAuthorization } from '../../auth/authorization-request.ts'
import { createChooseAccount } from '../../auth/choose-account.ts'
import type { ConsumedStates } from '../../auth/consumed-states.ts'
import { createFinishLogin } from '../../auth/finish-login.ts'
import type { LoginCookies } from '../../auth/login-cookies.ts'
import type { PendingLogins } from '../../auth/pending-login.ts'
import { requireUser } from '../../auth/require-user.ts'
import { createSignOut } from '../../auth/sign-out.ts'
import { createStartLogin } from '../../auth/start-login.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import type { Connections } from '../../people/connections.ts'
import type { PeopleStore } from '../../people/people-store.ts'
import type { SignIn } from '../../people/sign-in.ts'
import type { Redis } from '../../redis.ts'
import type { RedisKeys } from '../../redis-keys.ts'
import type { PersonSessions } from '../../session/person-sessions.ts'
import type { TokenStore } from '../../tokens/token-store.ts'
import { requireCsrf } from '../csrf.ts'
import { noStore } from '../no-store.ts'
import type { RateLimits } from '../rate-limit.ts'
import { createSignInFailure } from '../sign-in-failure.ts'

export function createAuthRoutes(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  pendingLogins: PendingLogins
  loginCookies: LoginCookies
  beginAuthorization: BeginAuthorization
  consumedStates: ConsumedStates
  limits: RateLimits
  tokens: TokenStore
  people: PeopleStore
  connections: Connections
  signIn: SignIn
  personSessions: PersonSessions
  redis: Redis
  keys: RedisKeys
  log: Logger
  choiceTtlSeconds: number
  cookieName: string
  secure: boolean
  postLogoutRedirectUri: string
  /** After a completed sign-in: the domain may start the person's first import. */
  afterSignIn?: (personId: string, connectionId: string) => Promise<unknown>
  /** After a connect flow: that connection's import, whose progress is the next page. */
  afterConnect?: (personId: string, connectionId: string) => Promise<{ id: string }>
}): Router {
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 })
  const { logout, logoutEverywhere, disconnect } = createSignOut(deps)
  const choose = createChooseAccount(deps)
  const failure = createSignInFailure(deps)
  const { signIn, actions, signOut } = deps.limits

  // Every answer here carries a state, a code or a fresh session: never cached.
  router.use(
    [
      '/login',
      '/auth/callback',
      '/sign-in/failed',
      '/connections/choose',
      '/logout',
      '/disconnect',
    ],
    noStore,
  )
  // Sign-in is limited per client address, the POSTs per person (web/rate-limit.ts).
  router.get('/login', signIn, createStartLogin(deps))
  // A failed callback, refused by the limiter too, answers with a clean URL (sign-in-failure.ts).
  router.get('/auth/callback/:provider', signIn, createFinishLogin(deps), failure.redirect)
  router.get(failure.path, failure.show)
  router.get('/connections/choose', requireUser, choose.show)
  router.post('/connections/choose', form, requireUser, actions, requireCsrf, choose.answer)
  router.post('/logout', form, signOut, requireCsrf, logout)
  router.post('/logout/everywhere', form, requireUser, signOut, requireCsrf, logoutEverywhere)
  router.post('/disconnect', form, requireUser, actions, requireCsrf, disconnect)
  // State changes only by POST: a link or an <img> must not sign anyone out.
  router.all(
    ['/logout', '/logout/everywhere', '/disconnect', '/connections/choose'],
    (_req, res) => {
      res.set('Allow', 'POST')
      throw new AppError(ErrorCode.METHOD_NOT_ALLOWED, 'Use the button on the page for this.', {
        status: 405,
      })
    },
  )
  return router
}
