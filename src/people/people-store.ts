// People and their connections in PostgreSQL: the users' own data, which outlives sessions,
// token records and processes. A person is found by any account they connected: the
// (issuer, subject) pair is unique, so the same account always leads to the same person
// (OIDC Core §5.7: `sub` is only unique and stable within its issuer).
import type { PoolClient } from 'pg'
import type { Database } from '../db/database.ts'
import { AppError, ErrorCode } from '../errors.ts'

export type ConnectionStatus = 'active' | 'reconnect_needed' | 'disconnected'

export interface Connection {
  id: string
  personId: string
  /** Configured provider id (`demo`, `google`). */
  provider: string
  issuer: string
  subject: string
  displayName: string | undefined
  email: string | undefined
  status: ConnectionStatus
  /** Key of its token record in the vault; undefined once disconnected. */
  grantId: string | undefined
  scopes: string[]
  connectedAt: Date
  lastRefreshedAt: Date | undefined
  lastUsedAt: Date | undefined
}

/** The account a sign-in proved, and what the person may see of it. */
export interface Identity {
  provider: string
  issuer: string
  subject: string
  displayName: string | undefined
  email: string | undefined
}

export interface PeopleStore {
  connectionByIdentity(issuer: string, subject: string): Promise<Connection | undefined>
  /** A new person whose first connection is this account (or the person who won a race). */
  createPerson(
    identity: Identity,
    grant: { grantId: string; scopes: string[] },
  ): Promise<Connection>
  /** Adds the account to the person, or points its existing connection at the new grant. */
  attach(
    personId: string,
    identity: Identity,
    grant: { grantId: string; scopes: string[] },
  ): Promise<{ connection: Connection; previousGrantId: string | undefined }>
  connections(personId: string): Promise<Connection[]>
  connection(personId: string, connectionId: string): Promise<Connection | undefined>
  personExists(personId: string): Promise<boolean>
  /**
   * Ends the use of the connection's grant; the row (and later its data) stays. With
   * `grantId`, only while the connection still holds that grant (a background job must not
   * end a grant the person has just renewed).
   */
  setStatus(
    connectionId: string,
    status: Exclude<ConnectionStatus, 'active'>,
    grantId?: string,
  ): Promise<void>
  markUsed(connectionId: string, refreshedAt: Date | undefined): Promise<void>
}

type Db = Pick<Database, 'query' | 'pool'>

const COLUMNS = `id, person_id, provider, issuer, subject, display_name, email, status, grant_id,
  scopes, connected_at, last_refreshed_at, last_used_at`

interface Row {
  id: string
  person_id: string
  provider: string
  issuer: string
  subject: string
  display_name: string | null
  email: string | null
  status: ConnectionStatus
  grant_id: string | null
  scopes: string[]
  connected_at: Date
  last_refreshed_at: Date | null
  last_used_at: Date | null
}

const toConnection = (row: Row): Connection => ({
  id: row.id,
  personId: row.person_id,
  provider: row.provider,
  issuer: row.issuer,
  subject: row.subject,
  displayName: row.display_name ?? undefined,
  email: row.email ?? undefined,
  status: row.status,
  grantId: row.grant_id ?? undefined,
  scopes: row.scopes,
  connectedAt: row.connected_at,
  lastRefreshedAt: row.last_refreshed_at ?? undefined,
  lastUsedAt: row.last_used_at ?? undefined,
})

/** The values of an INSERT INTO connections (person_id … scopes), in column order. */
const INSERT_CONNECTION = `INSERT INTO connections
  (person_id, provider, issuer, subject, display_name, email, grant_id, scopes)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

function connectionValues(
  personId: string,
  identity: Identity,
  grant: { grantId: string; scopes: string[] },
): unknown[] {
  return [
    personId,
    identity.provider,
    identity.issuer,
    identity.subject,
    identity.displayName ?? null,
    identity.email ?? null,
    grant.grantId,
    grant.scopes,
  ]
}

/** A UUID as PostgreSQL's uuid type reads it; anything else can name no row. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

async function inTransaction<T>(db: Db, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect()
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}

export function createPeopleStore(deps: { db: Db }): PeopleStore {
  const { db } = deps

  async function byIdentity(
    client: Pick<PoolClient, 'query'>,
    issuer: string,
    subject: string,
    lock = false,
  ): Promise<Connection | undefined> {
    const { rows } = await client.query<Row>(
      `SELECT ${COLUMNS} FROM connections WHERE issuer = $1 AND subject = $2${lock ? ' FOR UPDATE' : ''}`,
      [issuer, subject],
    )
    return rows[0] ? toConnection(rows[0]) : undefined
  }

  const attach: PeopleStore['attach'] = async (personId, identity, grant) => {
    return inTransaction(db, async (client) => {
      const existing = await byIdentity(client, identity.issuer, identity.subject, true)
      if (existing && existing.personId !== personId) {
        throw accountTaken()
      }
      const { rows } = await client.query<Row>(
        `${INSERT_CONNECTION}
         ON CONFLICT (issuer, subject) DO UPDATE SET
           provider = EXCLUDED.provider, display_name = EXCLUDED.display_name,
           email = EXCLUDED.email, grant_id = EXCLUDED.grant_id, scopes = EXCLUDED.scopes,
           status = 'active', connected_at = now(), last_refreshed_at = NULL
         WHERE connections.person_id = EXCLUDED.person_id
         RETURNING ${COLUMNS}`,
        connectionValues(personId, identity, grant),
      )
      const row = rows[0]
      // Another person connected the account in between (the WHERE above held).
      if (!row) throw accountTaken()
      const previousGrantId =
        existing?.grantId && existing.grantId !== grant.grantId ? existing.grantId : undefined
      return { connection: toConnection(row), previousGrantId }
    })
  }

  return {
    connectionByIdentity: (issuer, subject) => byIdentity(db.pool, issuer, subject),

    async createPerson(identity, grant) {
      return inTransaction(db, async (client) => {
        const { rows: people } = await client.query<{ id: string }>(
          'INSERT INTO people DEFAULT VALUES RETURNING id',
        )
        const personId = people[0]?.id
        if (!personId) throw new Error('INSERT INTO people returned no id')
        const { rows } = await client.query<Row>(
          `${INSERT_CONNECTION}
           ON CONFLICT (issuer, subject) DO NOTHING
           RETURNING ${COLUMNS}`,
          connectionValues(personId, identity, grant),
        )
        if (rows[0]) return toConnection(rows[0])
        // Two first sign-ins of one account raced and the other one won: no second person.
        throw new ConcurrentSignInError()
      }).catch(async (err: unknown) => {
        if (!(err instanceof ConcurrentSignInError)) throw err
        const winner = await byIdentity(db.pool, identity.issuer, identity.subject)
        if (!winner) throw err
        return (await attach(winner.personId, identity, grant)).connection
      })
    },

    attach,

    async connections(personId) {
      if (!UUID.test(personId)) return []
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM connections WHERE person_id = $1 ORDER BY connected_at, id`,
        [personId],
      )
      return rows.map(toConnection)
    },

    async connection(personId, connectionId) {
      if (!UUID.test(personId) || !UUID.test(connectionId)) return undefined
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM connections WHERE person_id = $1 AND id = $2`,
        [personId, connectionId],
      )
      return rows[0] ? toConnection(rows[0]) : undefined
    },

    async personExists(personId) {
      if (!UUID.test(personId)) return false
      const { rowCount } = await db.query('SELECT 1 FROM people WHERE id = $1', [personId])
      return rowCount === 1
    },

    async setStatus(connectionId, status, grantId) {
      // Either way the grant is gone: the vault record is removed by the caller.
      await db.query(
        `UPDATE connections SET status = $2, grant_id = NULL
         WHERE id = $1 AND ($3::text IS NULL OR grant_id = $3)`,
        [connectionId, status, grantId ?? null],
      )
    },

    async markUsed(connectionId, refreshedAt) {
      await db.query(
        `UPDATE connections SET last_used_at = now(),
           last_refreshed_at = COALESCE($2, last_refreshed_at) WHERE id = $1`,
        [connectionId, refreshedAt ?? null],
      )
    },
  }
}

/** The account is another person's sign-in: it cannot be added to this one. */
export function accountTaken(): AppError {
  return new AppError(
    ErrorCode.ACCOUNT_TAKEN,
    'This account already belongs to another address book here. Sign out and sign in with it to use that one.',
    { status: 409 },
  )
}

class ConcurrentSignInError extends Error {
  override name = 'ConcurrentSignInError'
}
