// Login and consent pages of the demo provider (oidc-provider "interactions"). They live on
// the provider's origin because the interaction cookie is scoped to it. The forms are
// protected by that cookie being SameSite=Lax and path-scoped: a cross-site POST arrives
// without it and fails with SessionNotFound.
import express, { type NextFunction, type Request, type Response } from 'express'
import type Provider from 'oidc-provider'
import { errors } from 'oidc-provider'
import { checkDemoCredentials, DEMO_USERS, type DemoUser } from './users.ts'

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm who you are',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Keep access while you are away (it can refresh its access)',
  'contacts.read': 'Read your contacts',
  'Contacts.Read': 'Read your contacts',
}

function noStore(_req: Request, res: Response, next: NextFunction) {
  res.set('Cache-Control', 'no-store')
  // RFC 9700 §4.16: the authorization server must not be framed (clickjacking).
  res.set('Content-Security-Policy', "default-src 'self'; frame-ancestors 'none'")
  res.set('X-Frame-Options', 'DENY')
  res.set('Referrer-Policy', 'no-referrer')
  next()
}

export function createInteractionRoutes(deps: {
  provider: Provider
  onGrant: (accountId: string, grantId: string) => void
  /** Who may sign in here; the demo users by default. */
  users?: readonly DemoUser[]
  /** How the login page names the provider. */
  providerName?: string
}): express.Router {
  const { provider } = deps
  const users = deps.users ?? DEMO_USERS
  const page = { providerName: deps.providerName ?? 'Demo Provider', users }
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '4kb' })

  router.use('/interaction', noStore)

  router.get('/interaction/:uid', async (req, res) => {
    const details = await provider.interactionDetails(req, res)
    const client = await provider.Client.find(String(details.params.client_id))
    const clientName = client?.clientName ?? String(details.params.client_id)
    if (details.prompt.name === 'login') {
      res.render('demo/login', {
        ...page,
        uid: details.uid,
        clientName,
        error: undefined,
        username: '',
      })
      return
    }
    const promptDetails = details.prompt.details as {
      missingOIDCScope?: string[]
      missingResourceScopes?: Record<string, string[]>
    }
    const scopes = [
      ...(promptDetails.missingOIDCScope ?? []),
      ...Object.values(promptDetails.missingResourceScopes ?? {}).flat(),
    ]
    res.render('demo/consent', {
      uid: details.uid,
      clientName,
      accountId: details.session?.accountId,
      permissions: [...new Set(scopes)].map((s) => SCOPE_DESCRIPTIONS[s] ?? s),
    })
  })

  router.post('/interaction/:uid/login', form, async (req, res) => {
    const details = await provider.interactionDetails(req, res)
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('not a login prompt')
    const username = String(req.body?.username ?? '')
    const user = checkDemoCredentials(username, String(req.body?.password ?? ''), users)
    if (!user) {
      const client = await provider.Client.find(String(details.params.client_id))
      res.status(401).render('demo/login', {
        ...page,
        uid: details.uid,
        clientName: client?.clientName ?? details.params.client_id,
        error: 'That username and password do not match a demo account.',
        username,
      })
      return
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.id } },
      { mergeWithLastSubmission: false },
    )
  })

  router.post('/interaction/:uid/confirm', form, async (req, res) => {
    const details = await provider.interactionDetails(req, res)
    const accountId = details.session?.accountId
    if (details.prompt.name !== 'consent' || !accountId) {
      throw new errors.InvalidRequest('not a consent prompt')
    }
    const missing = details.prompt.details as {
      missingOIDCScope?: string[]
      missingOIDCClaims?: string[]
      missingResourceScopes?: Record<string, string[]>
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) })
    if (!grant) throw new errors.InvalidRequest('grant not found')
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '))
    }
    const grantId = await grant.save()
    deps.onGrant(accountId, grantId)
    await provider.interactionFinished(
      req,
      res,
      { consent: details.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    )
  })

  router.post('/interaction/:uid/abort', async (req, res) => {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The person declined the request.' },
      { mergeWithLastSubmission: false },
    )
  })

  // An expired or foreign interaction (no cookie, or a stale tab): say so instead of a trace.
  router.use('/interaction', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof errors.SessionNotFound || err instanceof errors.InvalidRequest) {
      res.status(400).render('demo/expired')
      return
    }
    next(err)
  })

  return router
}
