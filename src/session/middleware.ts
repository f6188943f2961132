// express-session on Redis (connect-redis 8.1, the last line that takes an ioredis client;
// store.ts adds what it lacks).
// The browser only ever holds a signed, opaque session id.
import type { RequestHandler } from 'express'
import session from 'express-session'
import type { Config } from '../config.ts'
import { storeUnavailable } from '../errors.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'
import { SessionStore } from './store.ts'

export function createSessionMiddleware(deps: {
  config: Pick<Config, 'session'>
  redis: Redis
  keys: RedisKeys
}): RequestHandler {
  const { config, redis, keys } = deps
  const handler = session({
    name: config.session.cookieName,
    secret: config.session.secrets, // the first signs, all verify: rotation without logouts
    store: new SessionStore({
      client: redis,
      prefix: keys.sessionPrefix,
      ttlSeconds: config.session.ttlSeconds,
    }),
    resave: false, // never write back an unchanged session (it would race with others)
    saveUninitialized: false, // no session, and no cookie, until there is something to keep
    rolling: true, // idle timeout: every visit pushes the expiry out
    cookie: {
      httpOnly: true, // not readable from scripts
      // Lax, not Strict: the return from the provider is a cross-site top-level GET, and a
      // Strict cookie would not come with it (oauth-client-security.md A1).
      sameSite: 'lax',
      secure: config.session.secure,
      path: '/',
      maxAge: config.session.ttlSeconds * 1000,
    },
  })
  // Store failures surface here: translate them once into "come back in a moment".
  return (req, res, next) => {
    handler(req, res, (err?: unknown) => {
      if (err) {
        next(storeUnavailable(err))
        return
      }
      next()
    })
  }
}
