// What a finished sign-in means for people and connections. The first sign-in of an account
// creates a person; a later one finds the same person by (issuer, subject) and points the
// connection at the new grant. A person who is already signed in and comes back with
// another account is asked: add it as a second connection, or switch to that account's
// person. The new tokens wait in the vault, under a short lifetime, for that answer. A
// connect flow, started by the signed-in person on purpose, is never asked about.
import { AppError, ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { GrantRevoker } from '../tokens/revoke-grant.ts'
import type { TokenStore } from '../tokens/token-store.ts'
import type { Connection, Identity, PeopleStore } from './people-store.ts'

/** A sign-in whose tokens are stored but not yet attached to anybody. */
export interface PendingAccount {
  identity: Identity
  grantId: string
  scopes: string[]
}

export type SignInOutcome =
  | { kind: 'signed-in'; personId: string; connection: Connection }
  /** `taken`: the account is another person's, so it can only be switched to. */
  | { kind: 'ask'; taken: boolean }

export interface SignIn {
  /** `currentPersonId`: who this browser is signed in as, if anybody. */
  complete(account: PendingAccount, currentPersonId: string | undefined): Promise<SignInOutcome>
  /** The answer "add it to my address book". */
  add(account: PendingAccount, personId: string): Promise<Connection>
  /**
   * A connect flow's account: a new connection of the person, or, when it is theirs
   * already, that connection with the new grant (a reconnect). An account of another person
   * is refused (ACCOUNT_TAKEN) and nothing changes for either person.
   */
  connect(account: PendingAccount, personId: string): Promise<Connection>
  /** The answer "switch to that account": its person, or a new one. */
  switchTo(account: PendingAccount): Promise<{ personId: string; connection: Connection }>
  /** No answer, or "cancel": the waiting tokens go. */
  cancel(account: PendingAccount): Promise<void>
}

export function createSignIn(deps: {
  people: PeopleStore
  tokens: TokenStore
  revoker: GrantRevoker
  log: Logger
}): SignIn {
  const { people, tokens, revoker, log } = deps

  /** The grant now belongs to a connection: it lives as long as the connection needs it. */
  async function settle(grantId: string, previousGrantId: string | undefined) {
    await tokens.touch(grantId)
    // The same account's old record is dropped, not revoked: the provider may have handed
    // this sign-in the same grant, and revoking the old refresh token would end it.
    if (previousGrantId) await tokens.remove(previousGrantId)
  }

  async function attach(account: PendingAccount, personId: string) {
    const { connection, previousGrantId } = await people.attach(personId, account.identity, {
      grantId: account.grantId,
      scopes: account.scopes,
    })
    await settle(account.grantId, previousGrantId)
    return connection
  }

  async function signInAs(account: PendingAccount) {
    const { issuer, subject } = account.identity
    const existing = await people.connectionByIdentity(issuer, subject)
    if (existing) {
      return { personId: existing.personId, connection: await attach(account, existing.personId) }
    }
    const connection = await people.createPerson(account.identity, {
      grantId: account.grantId,
      scopes: account.scopes,
    })
    await settle(account.grantId, undefined)
    log.info({ person: connection.personId, provider: connection.provider }, 'person created')
    return { personId: connection.personId, connection }
  }

  return {
    async complete(account, currentPersonId) {
      const { issuer, subject } = account.identity
      const existing = await people.connectionByIdentity(issuer, subject)
      if (currentPersonId && existing?.personId !== currentPersonId) {
        return { kind: 'ask', taken: existing !== undefined }
      }
      if (existing) {
        const connection = await attach(account, existing.personId)
        return { kind: 'signed-in', personId: existing.personId, connection }
      }
      return { kind: 'signed-in', ...(await signInAs(account)) }
    },

    add: attach,
    switchTo: signInAs,

    async connect(account, personId) {
      try {
        const connection = await attach(account, personId)
        log.info(
          { person: personId, connection: connection.id, provider: connection.provider },
          'source connected',
        )
        return connection
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== ErrorCode.ACCOUNT_TAKEN) throw err
        throw new AppError(
          ErrorCode.ACCOUNT_TAKEN,
          'This account already belongs to another address book here, so it was not added to yours. Nothing was changed in either. To use it, sign out and sign in with it.',
          { status: 409, provider: account.identity.provider },
        )
      }
    },

    async cancel(account) {
      const { issuer, subject } = account.identity
      if (await people.connectionByIdentity(issuer, subject)) {
        // Somebody's connection may share this grant at the provider: only forget ours.
        await tokens.remove(account.grantId)
        return
      }
      // Nobody here will ever use these tokens: end the grant at the provider too.
      await revoker.revoke({
        grantId: account.grantId,
        provider: account.identity.provider,
        subject,
      })
    },
  }
}
