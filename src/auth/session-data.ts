// What the app keeps in express-session. Only references: the tokens live in their own
// encrypted record (tokens/token-store.ts), never in the session blob or the cookie.
import 'express-session'

export interface SessionUser {
  provider: string
  subject: string
  name: string | undefined
  email: string | undefined
}

declare module 'express-session' {
  interface SessionData {
    user: SessionUser
    /** Key of the token record of this sign-in. */
    grantId: string
    /** Random per-browser value; pending sign-ins store its hash (login CSRF defence). */
    browserKey: string
    /** Synchronizer token for this session's POST forms. */
    csrfToken: string
  }
}
