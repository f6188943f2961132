// "Remove this source": the connection's grant is ended first — revoked at the provider and
// forgotten here, as Disconnect does, so a running import of it can get no further token —
// then its contacts, runs and the connection itself are deleted in one transaction
// (address-book/delete-source-data.ts). Removing the person's last connection removes the
// person: nothing could sign in to them again, so every session of theirs ends as well.
import type { DeleteSourceData } from '../address-book/delete-source-data.ts'
import type { Logger } from '../log.ts'
import type { PersonSessions } from '../session/person-sessions.ts'
import type { RevocationOutcome } from '../tokens/revoke-grant.ts'
import type { Connections } from './connections.ts'
import type { PeopleStore } from './people-store.ts'

export interface RemovedSource {
  /** What the provider said about the grant ('nothing-stored' when it had ended already). */
  revocation: RevocationOutcome
  contacts: number
  /** It was the last connection: the person and every session of theirs are gone. */
  personDeleted: boolean
}

/** Undefined when the connection is not the person's. */
export type RemoveSource = (
  personId: string,
  connectionId: string,
) => Promise<RemovedSource | undefined>

export function createRemoveSource(deps: {
  people: Pick<PeopleStore, 'connection'>
  connections: Pick<Connections, 'disconnect'>
  deleteSourceData: DeleteSourceData
  personSessions: Pick<PersonSessions, 'endAll'>
  log: Logger
  /** After the deletion (imports/start-imports.ts forget: its sync schedule goes). */
  afterRemoved?: (connectionId: string) => Promise<void>
}): RemoveSource {
  return async (personId, connectionId) => {
    const connection = await deps.people.connection(personId, connectionId)
    if (!connection) return undefined
    const revocation =
      connection.status === 'active'
        ? await deps.connections.disconnect(connection)
        : 'nothing-stored'
    const deleted = await deps.deleteSourceData(personId, connectionId)
    if (!deleted) return undefined
    deps.log.info(
      { person: personId, connection: connectionId, ...deleted },
      deleted.personDeleted ? 'last source removed; person deleted' : 'source removed',
    )
    await deps.afterRemoved?.(connectionId)
    if (deleted.personDeleted) await deps.personSessions.endAll(personId)
    return { revocation, contacts: deleted.contacts, personDeleted: deleted.personDeleted }
  }
}
