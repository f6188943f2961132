// The person's corrections to the grouping, remembered as rules keyed by (connection,
// external id) so that they outlive the rows (migration 0005): "take this contact out of
// its card" (card_splits: it joins nothing through its keys) and "these two cards are one"
// (card_joins, between the two leads). Each is written and the cards concerned grouped
// again in one transaction; every id is checked to be the person's first, so another
// person's ids change nothing and read as "no such card".
import type { Database } from '../db/database.ts'
import { inTransaction } from '../db/transaction.ts'
import type { Queryable } from './contacts-store.ts'
import { isUuid } from './list-cursor.ts'

export interface CardRules {
  /** Takes `contactId` out of its card. False when it is not the person's, or alone already. */
  split(personId: string, contactId: string): Promise<boolean>
  /** One card of the cards of both. False unless both are the person's, on two cards. */
  join(personId: string, contactId: string, otherId: string): Promise<boolean>
  /** Forgets that `contactId` was taken out: it is grouped by its keys again. */
  regroupAgain(personId: string, contactId: string): Promise<boolean>
}

interface Owned {
  id: string
  connection_id: string
  external_id: string
  card: string
  size: number
}

export function createCardRules(deps: { db: Pick<Database, 'pool'> }): CardRules {
  /** The person's contacts among `ids`, with their card's lead and size. */
  const owned = async (tx: Queryable, personId: string, ids: string[]): Promise<Owned[]> => {
    if (!ids.every(isUuid)) return []
    const { rows } = await tx.query<Owned>(
      `SELECT c.id, c.connection_id, c.external_id, COALESCE(m.card_id, c.id) AS card,
         (SELECT count(*) FROM card_members o WHERE o.card_id = m.card_id)::int AS size
       FROM contacts c LEFT JOIN card_members m ON m.contact_id = c.id
       WHERE c.person_id = $1 AND c.id = ANY ($2::uuid[])`,
      [personId, ids],
    )
    return rows
  }
  const regroup = (tx: Queryable, personId: string, ids: string[]) =>
    tx.query('SELECT card_regroup($1, $2::uuid[])', [personId, ids])
  // The lock card_regroup takes (migration 0005), taken before anything is read: an import
  // of the same person writing a page meanwhile waits, and sees the rule when it groups.
  const lock = (tx: Queryable, personId: string) =>
    tx.query('SELECT pg_advisory_xact_lock(1667330669, hashtext($1::text))', [personId])

  return {
    split: (personId, contactId) =>
      inTransaction(deps.db, async (tx) => {
        await lock(tx, personId)
        const [contact] = await owned(tx, personId, [contactId])
        if (!contact || contact.size < 2) return false
        await tx.query(
          `INSERT INTO card_splits (connection_id, external_id, person_id) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
          [contact.connection_id, contact.external_id, personId],
        )
        // A contact taken out leaves the cards it was joined to by hand, too.
        await tx.query(
          `DELETE FROM card_joins WHERE person_id = $1 AND (
             (a_connection = $2 AND a_external = $3) OR (b_connection = $2 AND b_external = $3))`,
          [personId, contact.connection_id, contact.external_id],
        )
        await regroup(tx, personId, [contact.id])
        return true
      }),

    join: (personId, contactId, otherId) =>
      inTransaction(deps.db, async (tx) => {
        await lock(tx, personId)
        const found = await owned(tx, personId, [contactId, otherId])
        const cards = new Set(found.map((c) => c.card))
        if (found.length !== 2 || cards.size !== 2) return false
        const leads = await owned(tx, personId, [...cards])
        const [a, b] = leads
        if (!a || !b) return false
        await tx.query(
          `INSERT INTO card_joins (person_id, a_connection, a_external, b_connection, b_external)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [personId, a.connection_id, a.external_id, b.connection_id, b.external_id],
        )
        await regroup(tx, personId, [a.id, b.id])
        return true
      }),

    regroupAgain: (personId, contactId) =>
      inTransaction(deps.db, async (tx) => {
        await lock(tx, personId)
        const [contact] = await owned(tx, personId, [contactId])
        if (!contact) return false
        const { rowCount } = await tx.query(
          'DELETE FROM card_splits WHERE connection_id = $1 AND external_id = $2 AND person_id = $3',
          [contact.connection_id, contact.external_id, personId],
        )
        if (!rowCount) return false
        await regroup(tx, personId, [contact.id])
        return true
      }),
  }
}
