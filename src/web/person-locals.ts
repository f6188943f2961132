// Who is signed in, for every page: the session names a person; their connections come
// from PostgreSQL on each request, so a connection ended by a background job or another
// tab shows as ended here at once. A session naming a person that no longer exists is no
// sign-in at all.
import type { NextFunction, Request, Response } from 'express'
import type { Connection, PeopleStore } from '../people/people-store.ts'

export interface PersonView {
  id: string
  name: string
  connections: Connection[]
}

declare module 'express-serve-static-core' {
  interface Locals {
    person?: PersonView
  }
}

/** What the header calls the person: the account this session signed in with. */
function nameOf(connections: Connection[], sessionConnections: string[] | undefined): string {
  const signedInWith = connections.find((c) => c.id === sessionConnections?.[0]) ?? connections[0]
  return signedInWith?.displayName ?? signedInWith?.email ?? signedInWith?.subject ?? 'you'
}

export function createPersonLocals(deps: { people: PeopleStore }) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const { personId } = req.session
    if (!personId) {
      next()
      return
    }
    const connections = await deps.people.connections(personId)
    if (connections.length === 0 && !(await deps.people.personExists(personId))) {
      delete req.session.personId
      delete req.session.connectionIds
      next()
      return
    }
    res.locals.person = {
      id: personId,
      name: nameOf(connections, req.session.connectionIds),
      connections,
    }
    next()
  }
}
