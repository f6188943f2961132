// People, connections and contacts for the address book's tests, written straight into a
// test database: the store is what is under test, not the sign-in that makes these rows.
import { randomUUID } from 'node:crypto'
import type { PoolClient } from 'pg'
import { createDemoDirectory } from '../../../demo/seed.ts'
import { type Contact, emptyContact } from '../../../src/contacts/contact.ts'
import { toContact } from '../../../src/contacts/sources/people.ts'
import type { Database } from '../../../src/db/database.ts'

export interface Owner {
  personId: string
  connectionId: string
}

/** A new person with one active connection of `provider`. */
export async function createOwner(db: Database, provider = 'demo'): Promise<Owner> {
  const { rows: people } = await db.query<{ id: string }>(
    'INSERT INTO people DEFAULT VALUES RETURNING id',
  )
  const personId = people[0]?.id as string
  const connectionId = await addConnection(db, personId, provider)
  return { personId, connectionId }
}

export async function addConnection(db: Database, personId: string, provider = 'demo') {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO connections (person_id, provider, issuer, subject, grant_id)
     VALUES ($1, $2, 'http://127.0.0.1/issuer', $3, $3) RETURNING id`,
    [personId, provider, randomUUID()],
  )
  return rows[0]?.id as string
}

/** A contact as an adapter maps it, with a name, an email and a phone unless overridden. */
export function contact(
  externalId: string,
  fields: Partial<Omit<Contact, 'name'>> & { name?: Partial<Contact['name']> } = {},
): Contact {
  const base = emptyContact(externalId, { resourceName: externalId, source: 'test' })
  const { name, ...rest } = fields
  return {
    ...base,
    etag: `etag-${externalId}`,
    emails: [
      { address: `${externalId.replace(/\W/g, '')}@example.org`, type: 'home', primary: true },
    ],
    ...rest,
    name: { ...base.name, display: `Person ${externalId}`, ...name },
  }
}

/** Runs `work` in a transaction on one of the pool's clients, as the import engine does. */
export async function inTransaction<T>(
  db: Database,
  work: (tx: PoolClient) => Promise<T>,
): Promise<T> {
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

/**
 * `count` realistic contacts: the demo's carol (every field People has, accents, contacts
 * without names…) mapped by the People adapter, repeated, under resourceNames that look as
 * random as Google's (so an index on them fills as it would). Equal on every call.
 */
export function demoContacts(count: number): Contact[] {
  const people = createDemoDirectory().get('carol') ?? []
  return Array.from({ length: count }, (_, i) => {
    const digits = (BigInt(i) * 6364136223846793005n + 1442695040888963407n) % 10n ** 19n
    const person = {
      ...people[i % people.length],
      resourceName: `people/c${String(digits).padStart(19, '0')}`,
    }
    return toContact(person, { defaultRegion: 'GB' }) as Contact
  })
}
