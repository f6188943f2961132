// Rate limits, counted in Redis so that every instance shares one budget per client
// (express-rate-limit with rate-limit-redis, a fixed window per limit). Over the limit, the
// request goes to the one error handler as a RATE_LIMITED AppError: a 429 with Retry-After
// and a page that says how long to wait. The client address is Express's `req.ip`, which
// reads X-Forwarded-For only as far as TRUST_PROXY allows, so a client cannot pick a new
// address per request; IPv6 addresses count per /56, as one customer's network.
//
// When Redis does not answer, a limited request is refused with the usual 503
// (STORE_UNAVAILABLE) rather than let through: every limited route needs Redis a moment
// later anyway (the callback's one-time marker, the session of the POSTs), so letting it
// through would buy no availability, only a sign-in that fails at the callback, and a
// limit that switches itself off is no limit against a flood.
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { type AugmentedRequest, ipKeyGenerator, rateLimit } from 'express-rate-limit'
import { RedisStore } from 'rate-limit-redis'
import { rateLimited, storeUnavailable } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'

export interface RateLimitDeps {
  redis: Redis
  keys: RedisKeys
  log: Logger
}

export interface RateLimitOptions {
  /** Names the budget: its Redis counters live under `rl:<name>:`. One name, one budget. */
  name: string
  /** Requests allowed per window; 0 turns the limit off. */
  limit: number
  windowSeconds: number
  /**
   * Whose budget a request spends: its client address, or the signed-in person (the
   * session's personId; the client address when nobody is signed in).
   */
  per: 'address' | 'person'
  /**
   * What a request gets while Redis does not count: `refuse` (503, the default) or
   * `allow`, for a request that must work whatever is down (sign-out).
   */
  whenStoreFails?: 'refuse' | 'allow'
}

/** The client's address as Express derives it (TRUST_PROXY), IPv6 grouped per /56. */
const addressOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? '')

/**
 * rate-limit-redis loads its Lua script once, when the limiter is made; if Redis was away
 * then, the rejected load would stick and no request could ever be counted. Load it again
 * on the next request instead. Every store failure becomes the app's 503.
 */
class CounterStore extends RedisStore {
  override async increment(key: string) {
    this.incrementScriptSha = this.incrementScriptSha.catch(() => this.loadIncrementScript(key))
    try {
      return await super.increment(key)
    } catch (err) {
      throw storeUnavailable(err)
    }
  }
}

/**
 * A limiter for one budget. The app's own are made by createRateLimits; import starts and
 * exports get theirs the same way, e.g.
 * `createRateLimiter(deps, { name: 'import', limit: 10, windowSeconds: 3600, per: 'person' })`.
 */
export function createRateLimiter(deps: RateLimitDeps, options: RateLimitOptions): RequestHandler {
  if (options.limit === 0) return (_req, _res, next) => next()
  const { redis, keys, log } = deps
  // express-rate-limit reports through this; no stacks, and never a token (there is none).
  const report = (level: 'warn' | 'error') => (err: unknown, message?: string) =>
    log[level === 'error' ? 'warn' : level](
      { limiter: options.name, problem: err instanceof Error ? err.message : String(err) },
      message ?? 'rate limiter',
    )
  return rateLimit({
    windowMs: options.windowSeconds * 1000,
    limit: options.limit,
    store: new CounterStore({
      prefix: keys.rateLimitPrefix(options.name),
      sendCommand: (command: string, ...args: string[]) =>
        redis.call(command, ...args) as Promise<number | string | (number | string)[]>,
    }),
    keyGenerator:
      options.per === 'person'
        ? (req) => {
            const personId = req.session?.personId
            return personId ? `person:${personId}` : `address:${addressOf(req)}`
          }
        : (req) => addressOf(req),
    passOnStoreError: options.whenStoreFails === 'allow',
    standardHeaders: 'draft-7', // RateLimit and RateLimit-Policy on every limited answer
    legacyHeaders: false,
    handler: (req: Request, _res: Response, next: NextFunction) => {
      const info = (req as AugmentedRequest).rateLimit
      const reset = info?.resetTime?.getTime() ?? Date.now() + options.windowSeconds * 1000
      next(rateLimited(Math.max(1, Math.ceil((reset - Date.now()) / 1000))))
    },
    logger: { warn: report('warn'), error: report('error') },
    validate: {
      // A client's own X-Forwarded-For without TRUST_PROXY is what a spoofer sends, not a
      // misconfiguration: config.ts already demands TRUST_PROXY behind an https proxy.
      xForwardedForHeader: false,
    },
  })
}

export interface RateLimits {
  /** /login and the callback, per client address. */
  signIn: RequestHandler
  /** Disconnect and the add-or-switch answer, per signed-in person. */
  actions: RequestHandler
  /**
   * Sign-out, on the same budget as `actions`, but let through when Redis cannot count:
   * signing out must work whatever is down (on a shared computer, the next person).
   */
  signOut: RequestHandler
}

export function createRateLimits(
  deps: RateLimitDeps & { limits: { loginPerMinute: number; actionsPerMinute: number } },
): RateLimits {
  return {
    signIn: createRateLimiter(deps, {
      name: 'signin',
      limit: deps.limits.loginPerMinute,
      windowSeconds: 60,
      per: 'address',
    }),
    actions: createRateLimiter(deps, {
      name: 'actions',
      limit: deps.limits.actionsPerMinute,
      windowSeconds: 60,
      per: 'person',
    }),
    signOut: createRateLimiter(deps, {
      name: 'actions',
      limit: deps.limits.actionsPerMinute,
      windowSeconds: 60,
      per: 'person',
      whenStoreFails: 'allow',
    }),
  }
}
