// The "Connection" panel: what a person may know about their grant — provider, granted
// scopes, when the access token expires and when it was last refreshed. Never a token.
import type { Request } from 'express'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { TokenStore } from '../tokens/token-store.ts'

export interface ConnectionView {
  providerId: string
  providerLabel: string
  connected: boolean
  scopes: string[]
  expiresAt: Date | undefined
  refreshedAt: Date | undefined
  connectedAt: Date | undefined
}

export async function describeConnection(
  req: Request,
  deps: { tokens: TokenStore; providers: ReadonlyMap<string, ProviderClient> },
): Promise<ConnectionView | undefined> {
  const user = req.session.user
  if (!user) return undefined
  const record = req.session.grantId ? await deps.tokens.load(req.session.grantId) : undefined
  const date = (epochSeconds: number | undefined) =>
    epochSeconds === undefined ? undefined : new Date(epochSeconds * 1000)
  return {
    providerId: user.provider,
    providerLabel: deps.providers.get(user.provider)?.settings.label ?? user.provider,
    connected: record !== undefined,
    scopes: record?.scope ?? [],
    expiresAt: date(record?.expiresAt),
    refreshedAt: date(record?.refreshedAt),
    connectedAt: date(record?.createdAt),
  }
}
