// What the app keeps in express-session: references only. The person and their connections
// live in PostgreSQL, the tokens in their own encrypted record (tokens/token-store.ts),
// never in the session blob or the cookie.
import 'express-session'
import type { PendingAccount } from '../people/sign-in.ts'

export interface PendingChoice extends PendingAccount {
  /** Where the person was going when they signed in. */
  returnTo: string
  /** Epoch ms; the waiting tokens' record expires at the same time. */
  expiresAt: number
}

declare module 'express-session' {
  interface SessionData {
    /** The signed-in person (people.id). */
    personId: string
    /** Epoch ms of the sign-in: SESSION_MAX_AGE_SECONDS counts from here, whatever the activity. */
    signedInAt: number
    /** Connections this session signed in with or added: signing out ends them. */
    connectionIds: string[]
    /** A sign-in with another account, waiting for "add" or "switch". */
    pendingChoice: PendingChoice
    /** Synchronizer token for this session's POST forms. */
    csrfToken: string
  }
}
