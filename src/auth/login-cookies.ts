// The browser's pending sign-ins: one cookie per flow, named after a hash of its state,
// holding the sealed sign-in (auth/pending-login.ts). HttpOnly; SameSite=Lax, because the
// return from the provider is a cross-site top-level GET that a Strict cookie would miss;
// on https Secure with the `__Host-` prefix, so that a sibling subdomain cannot plant one
// (a planted flow would finish someone else's sign-in in this browser: login CSRF), and
// therefore Path=/, which `__Host-` requires; Max-Age is the sign-in's lifetime. A browser
// keeps at most MAX_PENDING_LOGINS: a new sign-in clears the oldest, so a browser carries
// at most 5 cookies of about 1 KB each (returnTo is capped at 512 bytes), and the server
// keeps nothing. The cookie is itself the browser binding of the state (RFC 9700 §2.1).
import { createHash } from 'node:crypto'
import { parseCookie } from 'cookie'
import type { CookieOptions, Request, Response } from 'express'
import type { PendingLogin, PendingLogins } from './pending-login.ts'

/** Sign-ins one browser may have under way at once (tabs); the newest win. */
export const MAX_PENDING_LOGINS = 5
/** Flow cookies read per request, however many a client sends. */
const MAX_READ = MAX_PENDING_LOGINS * 2

export interface HeldLogin {
  /** The cookie's name. */
  name: string
  login: PendingLogin
}

export interface LoginCookies {
  /** Sets the cookie of a new sign-in and clears the oldest beyond the limit. */
  remember(req: Request, res: Response, login: PendingLogin): void
  /** This browser's pending sign-in for `state`, if it holds one. */
  find(req: Request, state: string): HeldLogin | undefined
  /** Clears a pending sign-in's cookie. */
  forget(res: Response, name: string): void
}

export function createLoginCookies(deps: {
  pending: PendingLogins
  /** `__Host-ci.login.` on https, `ci.login.` on http://localhost. */
  prefix: string
  secure: boolean
  maxPerBrowser?: number
}): LoginCookies {
  const { pending, prefix } = deps
  const max = deps.maxPerBrowser ?? MAX_PENDING_LOGINS
  const options: CookieOptions = {
    httpOnly: true, // never readable from scripts
    sameSite: 'lax', // sent with the provider's redirect back (a top-level GET)
    secure: deps.secure,
    path: '/', // required by __Host-
  }
  const nameFor = (state: string) =>
    `${prefix}${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`
  const cookiesOf = (req: Request) => parseCookie(req.headers.cookie ?? '')

  function forget(res: Response, name: string) {
    res.clearCookie(name, options)
  }

  return {
    remember(req, res, login) {
      const held: HeldLogin[] = []
      const flows = Object.entries(cookiesOf(req)).filter(([name]) => name.startsWith(prefix))
      for (const [name, value] of flows.slice(0, MAX_READ)) {
        const opened = value === undefined ? undefined : pending.open(value, name)
        if (opened && pending.checkState(opened.state) === 'issued') {
          held.push({ name, login: opened })
        } else {
          forget(res, name) // expired, damaged or sealed with a key that is gone
        }
      }
      held.sort((a, b) => b.login.createdAt - a.login.createdAt)
      for (const { name } of held.slice(max - 1)) forget(res, name)
      const name = nameFor(login.state)
      res.cookie(name, pending.seal(login, name), {
        ...options,
        maxAge: pending.ttlSeconds * 1000,
      })
    },

    find(req, state) {
      const name = nameFor(state)
      const value = cookiesOf(req)[name]
      const login = value === undefined ? undefined : pending.open(value, name)
      return login?.state === state ? { name, login } : undefined
    },

    forget,
  }
}
