// The "Connection" panel: what a person may know about one connection — provider, account,
// state, granted scopes, when the access token expires and when it was last refreshed.
// Never a token.
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { Connection, ConnectionStatus } from '../people/people-store.ts'
import type { TokenStore } from '../tokens/token-store.ts'

export interface ConnectionView {
  id: string
  providerId: string
  providerLabel: string
  account: string
  status: ConnectionStatus
  /** Active, with tokens in the vault. */
  connected: boolean
  scopes: string[]
  expiresAt: Date | undefined
  refreshedAt: Date | undefined
  connectedAt: Date
}

export function providerLabel(
  providers: ReadonlyMap<string, ProviderClient>,
  providerId: string,
): string {
  return providers.get(providerId)?.settings.label ?? providerId
}

/** How a connection's account is named on the pages: its email, else its name, else its id. */
export function accountLabel(
  connection: Pick<Connection, 'email' | 'displayName' | 'subject'>,
): string {
  return connection.email ?? connection.displayName ?? connection.subject
}

export async function describeConnection(
  connection: Connection,
  deps: { tokens: TokenStore; providers: ReadonlyMap<string, ProviderClient> },
): Promise<ConnectionView> {
  const record =
    connection.status === 'active' && connection.grantId
      ? await deps.tokens.load({
          grantId: connection.grantId,
          provider: connection.provider,
          subject: connection.subject,
        })
      : undefined
  const date = (epochSeconds: number | undefined) =>
    epochSeconds === undefined ? undefined : new Date(epochSeconds * 1000)
  return {
    id: connection.id,
    providerId: connection.provider,
    providerLabel: providerLabel(deps.providers, connection.provider),
    account: accountLabel(connection),
    status: connection.status,
    connected: record !== undefined,
    scopes: record?.scope ?? connection.scopes,
    expiresAt: date(record?.expiresAt),
    refreshedAt: date(record?.refreshedAt),
    connectedAt: connection.connectedAt,
  }
}
