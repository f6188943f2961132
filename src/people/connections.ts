// What a person's connections do, for a page view and a background job alike: hand out an
// access token from the vault (refresh, single flight, one retry on a refused token are
// tokens/'s job), and react to a grant that has ended — a revoked or expired grant, or a
// provider answering for another account (OIDC Core §12.2) — by marking the connection
// `reconnect_needed`, so every reader of the connection sees the same state. An answer for
// another account also ends every session of the person, as "sign out everywhere" does:
// whoever is signed in may not be who the provider now vouches for, and since refreshes
// happen in the import worker there is often no browser at hand to sign out.
import { AppError, ErrorCode, reconnectNeeded } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { PersonSessions } from '../session/person-sessions.ts'
import type { AccessTokens } from '../tokens/access-tokens.ts'
import type { GrantRevoker, RevocationOutcome } from '../tokens/revoke-grant.ts'
import type { GrantRef } from '../tokens/token-store.ts'
import type { Connection, PeopleStore } from './people-store.ts'

export interface Connections {
  /** An access token for the connection; `rejected` is one the resource server refused. */
  accessToken(connection: Connection, options?: { rejected?: string }): Promise<string>
  /** Ends one connection: its grant is revoked at the provider and forgotten here. */
  disconnect(connection: Connection): Promise<RevocationOutcome>
  /**
   * The contacts API keeps refusing the grant (missing scope, refused after a refresh):
   * it is useless, so it is revoked and the connection waits for the person to reconnect.
   */
  requireReconnect(connection: Connection, errorCode: string): Promise<void>
}

/** The vault reference of an active connection: its grant, provider and subject. */
export function grantOf(connection: Connection): GrantRef {
  if (connection.status !== 'active' || !connection.grantId) {
    throw reconnectNeeded(connection.provider)
  }
  return {
    grantId: connection.grantId,
    provider: connection.provider,
    subject: connection.subject,
  }
}

/**
 * last_used_at is kept to the minute: an import asks for a token before every page, and an
 * UPDATE of the connection each time put a database round trip (and a dead row version)
 * between a page's token and its request, which then waited behind the previous page's
 * preparation. A refresh is always recorded at once.
 */
const MARK_USED_EVERY_MS = 60_000
/** Beyond this many connections remembered, the memory of marks starts again. */
const MARKS_KEPT = 10_000

/** Failures after which the grant is useless: the person has to connect again. */
const ENDED = new Set<string>([ErrorCode.GRANT_REVOKED, ErrorCode.IDENTITY_MISMATCH])

export function createConnections(deps: {
  people: PeopleStore
  accessTokens: AccessTokens
  revoker: GrantRevoker
  personSessions: PersonSessions
  log: Logger
}): Connections {
  const { people, accessTokens, revoker, log } = deps
  const marked = new Map<string, { at: number; refreshedAt: number | undefined }>()

  async function markUsed(connectionId: string, refreshedAt: number | undefined) {
    const last = marked.get(connectionId)
    const now = Date.now()
    if (last && now - last.at < MARK_USED_EVERY_MS && last.refreshedAt === refreshedAt) return
    await people.markUsed(connectionId, refreshedAt ? new Date(refreshedAt * 1000) : undefined)
    if (marked.size >= MARKS_KEPT) marked.clear()
    marked.set(connectionId, { at: now, refreshedAt })
  }

  /** The provider vouched for someone else: nobody stays signed in as this person. */
  async function signOutEverywhere(connection: Connection) {
    try {
      const ended = await deps.personSessions.endAll(connection.personId)
      log.warn(
        { person: connection.personId, connection: connection.id, sessions: ended },
        'refresh answered for another account; every session of the person ended',
      )
    } catch (err) {
      // The original failure still reaches the caller; this one must reach the operators.
      log.error(
        { err, person: connection.personId, connection: connection.id },
        'refresh answered for another account, and the sessions of the person could not be ended',
      )
    }
  }

  return {
    async accessToken(connection, options = {}) {
      try {
        const record = await accessTokens.get(grantOf(connection), options)
        await markUsed(connection.id, record.refreshedAt)
        return record.accessToken
      } catch (err) {
        // Seen by the callers of the refresh that got the answer, in the worker or the web
        // (other processes only find the tokens gone); ending the sessions again is harmless.
        // First, so that PostgreSQL failing below cannot leave anyone signed in.
        if (err instanceof AppError && err.code === ErrorCode.IDENTITY_MISMATCH) {
          await signOutEverywhere(connection)
        }
        if (err instanceof AppError && ENDED.has(err.code) && connection.status === 'active') {
          await people.setStatus(connection.id, 'reconnect_needed')
          log.info(
            { connection: connection.id, provider: connection.provider, errorCode: err.code },
            'connection needs reconnecting',
          )
        }
        throw err
      }
    },

    async requireReconnect(connection, errorCode) {
      try {
        if (connection.grantId) {
          await revoker.revoke({
            grantId: connection.grantId,
            provider: connection.provider,
            subject: connection.subject,
          })
        }
      } finally {
        await people.setStatus(connection.id, 'reconnect_needed', connection.grantId)
        log.info(
          { connection: connection.id, provider: connection.provider, errorCode },
          'connection needs reconnecting',
        )
      }
    },

    async disconnect(connection) {
      try {
        return connection.grantId
          ? await revoker.revoke({
              grantId: connection.grantId,
              provider: connection.provider,
              subject: connection.subject,
            })
          : 'nothing-stored'
      } finally {
        // Ended here whatever the provider or Redis said: nothing will use this grant again.
        await people.setStatus(connection.id, 'disconnected')
        log.info({ connection: connection.id, provider: connection.provider }, 'disconnected')
      }
    },
  }
}
