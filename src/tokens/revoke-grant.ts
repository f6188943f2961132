// Ends a grant on the way out (RFC 7009): the refresh token is revoked first, which ends
// the whole grant at our demo server and at Google, then the access token. A provider
// without a revocation endpoint (Microsoft) is only forgotten locally. Whatever the
// provider says, the local records go: a failed revocation never keeps anyone signed in.
import type { ProviderClient } from '../auth/provider-client.ts'
import type { Logger } from '../log.ts'
import type { GrantRef } from './access-tokens.ts'
import type { TokenStore } from './token-store.ts'

export type RevocationOutcome = 'revoked' | 'unsupported' | 'failed' | 'nothing-stored'

export interface GrantRevoker {
  revoke(grant: GrantRef): Promise<RevocationOutcome>
}

export function createGrantRevoker(deps: {
  store: TokenStore
  providers: ReadonlyMap<string, ProviderClient>
  log: Logger
}): GrantRevoker {
  const { store, providers, log } = deps
  return {
    async revoke(grant) {
      const record = await store.load(grant.grantId)
      let outcome: RevocationOutcome = 'nothing-stored'
      const provider = providers.get(grant.provider)
      try {
        if (record && provider) {
          if (!(await provider.supportsRevocation())) {
            outcome = 'unsupported'
          } else {
            if (record.refreshToken) await provider.revoke(record.refreshToken, 'refresh_token')
            await provider.revoke(record.accessToken, 'access_token').catch((err: unknown) => {
              // JWT access tokens cannot be revoked at oidc-provider (unsupported_token_type);
              // they expire on their own and the grant behind them is already gone.
              log.debug({ err, provider: grant.provider }, 'access token not revoked')
            })
            outcome = 'revoked'
          }
        }
      } catch (err) {
        outcome = 'failed'
        log.warn(
          { err, provider: grant.provider },
          'token revocation failed; forgetting the tokens anyway',
        )
      } finally {
        await store.remove(grant.grantId)
      }
      return outcome
    },
  }
}
