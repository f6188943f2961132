// "Remove this source": one connection's contacts, its import runs (their skipped records
// go with them, ON DELETE CASCADE), its sweep marks, its contact count and the connection
// itself, in one transaction, so the book never keeps half of a source. When it was the
// person's last connection, the person goes too: no account could ever sign in to them
// again, and what is left of them (nothing) would only wait there forever.
//
// A run of this connection under way is handled as "delete my imported data" handles it
// (delete-person-data.ts): its rows are locked first (FOR UPDATE), the lock every page's
// transaction takes on its run (imports-store.ts claimPage), so a page being written now
// commits before the deletion and is deleted with the rest, and every later page finds its
// run gone, so the worker stops without writing it (run-import.ts). The runs are locked
// before the connection row, in the order a page's transaction takes them (its run, then
// the connection its contacts refer to), so the two cannot deadlock.
import type { Database } from '../db/database.ts'
import { inTransaction } from '../db/transaction.ts'
import { isUuid } from './list-cursor.ts'

export interface DeletedSource {
  contacts: number
  imports: number
  /** It was the person's last connection: the person was deleted as well. */
  personDeleted: boolean
}

/** Undefined when the connection is not the person's (or is gone already). */
export type DeleteSourceData = (
  personId: string,
  connectionId: string,
) => Promise<DeletedSource | undefined>

/** Thrown inside the transaction so that it rolls back: the connection is not the person's. */
class NotTheirs extends Error {}

export function createDeleteSourceData(deps: { db: Pick<Database, 'pool'> }): DeleteSourceData {
  return async (personId, connectionId) => {
    if (!isUuid(personId) || !isUuid(connectionId)) return undefined
    const scope = [connectionId, personId]
    return inTransaction(deps.db, async (tx) => {
      await tx.query(
        'SELECT id FROM imports WHERE connection_id = $1 AND person_id = $2 FOR UPDATE',
        scope,
      )
      const contacts = await tx.query(
        'DELETE FROM contacts WHERE connection_id = $1 AND person_id = $2',
        scope,
      )
      const runs = await tx.query(
        'DELETE FROM imports WHERE connection_id = $1 AND person_id = $2',
        scope,
      )
      // Its marks and its count row go with it (ON DELETE CASCADE).
      const connection = await tx.query(
        'DELETE FROM connections WHERE id = $1 AND person_id = $2',
        scope,
      )
      if (connection.rowCount !== 1) throw new NotTheirs()
      const { rowCount: others } = await tx.query(
        'SELECT 1 FROM connections WHERE person_id = $1 LIMIT 1',
        [personId],
      )
      if (others === 0) await tx.query('DELETE FROM people WHERE id = $1', [personId])
      return {
        contacts: contacts.rowCount ?? 0,
        imports: runs.rowCount ?? 0,
        personDeleted: others === 0,
      }
    }).catch((err: unknown) => {
      if (err instanceof NotTheirs) return undefined
      throw err
    })
  }
}
