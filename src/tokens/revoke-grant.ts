// Ends a grant on the way out (RFC 7009): the refresh token is revoked first, which ends
// the whole grant at our demo server and at Google, then the access token. A provider
// without a revocation endpoint (Microsoft) is only forgotten locally. Whatever the
// provider says, the local records go: a failed revocation never keeps anyone signed in.

import { AppError, ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { GrantRef, TokenStore } from './token-store.ts'

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

  /** A refused or failed revocation: loud only when an operator has something to fix. */
  function logFailure(err: unknown, provider: string) {
    if (err instanceof AppError && err.code === ErrorCode.CLIENT_MISCONFIGURED) {
      log.error(
        { err, provider },
        `the provider rejected our client credentials at revocation: check ${provider.toUpperCase()}_CLIENT_SECRET; forgetting the tokens anyway`,
      )
      return
    }
    log.warn({ err, provider }, 'token revocation failed; forgetting the tokens anyway')
  }

  return {
    async revoke(grant) {
      const record = await store.load(grant)
      const provider = providers.get(grant.provider)
      let outcome: RevocationOutcome = 'nothing-stored'
      try {
        if (record && provider) {
          outcome = (await provider.supportsRevocation()) ? 'revoked' : 'unsupported'
        }
        if (record && provider && outcome === 'revoked') {
          if (record.refreshToken) {
            await provider.revoke(record.refreshToken, 'refresh_token').catch((err: unknown) => {
              outcome = 'failed'
              logFailure(err, grant.provider)
            })
          }
          // Tried even when the refresh token's revocation failed. JWT access tokens cannot
          // be revoked at oidc-provider (unsupported_token_type, RFC 7009 §2.2.1): expected on
          // every sign-out, so debug only; they expire on their own.
          await provider.revoke(record.accessToken, 'access_token').catch((err: unknown) => {
            log.debug({ err, provider: grant.provider }, 'access token not revoked')
          })
        }
      } catch (err) {
        // Discovery failed: the provider cannot be asked at all.
        outcome = 'failed'
        logFailure(err, grant.provider)
      } finally {
        await store.remove(grant.grantId)
      }
      return outcome
    },
  }
}
