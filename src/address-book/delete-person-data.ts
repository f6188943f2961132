// "Delete my imported data": every contact of the person, every import run (its skipped
// records go with it, ON DELETE CASCADE, and its sweep marks are deleted here) and every
// connection's sync cursor (connections.import_state), in one transaction, so the person is never left with half of
// it. The connections themselves stay: the person is still signed in and can import again,
// which then starts from nothing (a full import, no sync token).
//
// A run under way loses its row too, as when its connection is deleted. Its rows are
// locked first (FOR UPDATE), the lock every page's transaction takes on its run
// (imports-store.ts claimPage): a page being written now commits before the deletion and is
// deleted with the rest, and every later page finds its run gone, so the worker stops
// without writing it (run-import.ts).
import type { Database } from '../db/database.ts'
import type { ContactsStore } from './contacts-store.ts'

export interface DeletedData {
  contacts: number
  imports: number
}

export type DeletePersonData = (personId: string) => Promise<DeletedData>

export function createDeletePersonData(deps: {
  db: Pick<Database, 'pool'>
  contacts: Pick<ContactsStore, 'removeAll'>
}): DeletePersonData {
  return async (personId) => {
    const tx = await deps.db.pool.connect()
    try {
      await tx.query('BEGIN')
      await tx.query('SELECT id FROM imports WHERE person_id = $1 FOR UPDATE', [personId])
      const contacts = await deps.contacts.removeAll(tx, personId)
      const runs = await tx.query('DELETE FROM imports WHERE person_id = $1', [personId])
      // A full run's marks of unchanged contacts (contact-writes.ts): its sweep will not
      // come now to clear them.
      await tx.query(
        `DELETE FROM contact_marks
         WHERE connection_id IN (SELECT id FROM connections WHERE person_id = $1)`,
        [personId],
      )
      await tx.query(
        `UPDATE connections SET import_state = '{}'::jsonb
         WHERE person_id = $1 AND import_state <> '{}'::jsonb`,
        [personId],
      )
      await tx.query('COMMIT')
      return { contacts, imports: runs.rowCount ?? 0 }
    } catch (err) {
      await tx.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      tx.release()
    }
  }
}
