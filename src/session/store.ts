// connect-redis, with two changes that matter for security and availability:
//   - a session is created once; every later write only updates it if it still exists
//     (SET … XX). Otherwise a request still running when the person signed out would write
//     the destroyed session back (express-session saves at the end of each request), and
//     its response would sign them in again — on a shared computer, for the next person.
//   - a record that does not parse is no session, not an error: one corrupt value must not
//     lock a browser out with 503s until its cookie expires.
import { RedisStore } from 'connect-redis'
import type { SessionData } from 'express-session'
import type { Redis } from '../redis.ts'

type Callback = (err?: unknown, data?: unknown) => void
type Stored = SessionData & { persisted?: boolean }

const tolerantJson = {
  stringify: (session: SessionData) => JSON.stringify(session),
  parse: (raw: string): SessionData => {
    try {
      return JSON.parse(raw) as SessionData
    } catch {
      // connect-redis hands this on as "no session" (its types do not admit null).
      return null as unknown as SessionData
    }
  },
}

export class SessionStore extends RedisStore {
  readonly #redis: Redis
  readonly #ttlSeconds: number

  constructor(options: { client: Redis; prefix: string; ttlSeconds: number }) {
    super({
      client: options.client,
      prefix: options.prefix,
      ttl: options.ttlSeconds,
      serializer: tolerantJson,
    })
    this.#redis = options.client
    this.#ttlSeconds = options.ttlSeconds
  }

  override async set(sid: string, session: SessionData, cb?: Callback): Promise<void> {
    const stored = session as Stored
    if (!stored.persisted) {
      stored.persisted = true
      await super.set(sid, stored, cb)
      return
    }
    const expires = session.cookie?.expires
    const ttl = expires
      ? Math.ceil((new Date(expires).getTime() - Date.now()) / 1000)
      : this.#ttlSeconds
    try {
      if (ttl > 0) {
        await this.#redis.set(this.prefix + sid, tolerantJson.stringify(session), 'EX', ttl, 'XX')
      } else {
        await this.#redis.del(this.prefix + sid)
      }
      cb?.()
    } catch (err) {
      if (!cb) throw err
      cb(err)
    }
  }
}
