// Microsoft Entra's multi-tenant discovery documents (tenant `common` or `organizations`)
// name no single issuer but a template, `https://login.microsoftonline.com/{tenantid}/v2.0`:
// each ID token comes from the directory of the account that signed in, and says which in
// its `tid` claim. openid-client 6 accepts that metadata for Entra and compares `iss` with
// the template filled in with the token's own `tid` (its discovery's Entra handling, through
// oauth4webapi's expected-issuer hook). This is the app's own statement of the same rule,
// applied to every ID token whenever the discovered issuer is a template, so that it holds
// whatever the library does: a token must name its directory, by id, and come from exactly
// that directory's issuer. A template with nothing to fill it in is a rejected token, never
// a skipped check.

import { TENANT_ID } from '../config/provider-presets.ts'

/** The placeholder Entra puts in a multi-tenant discovery document's `issuer`. */
export const TENANT_PLACEHOLDER = '{tenantid}'

export function isTenantTemplate(issuer: string): boolean {
  return issuer.includes(TENANT_PLACEHOLDER)
}

/**
 * Why an ID token fails the templated issuer `metadataIssuer`, or undefined when its `iss` is
 * the template filled in with its own `tid`. Only for templated issuers (isTenantTemplate).
 */
export function tenantIssuerProblem(
  metadataIssuer: string,
  claims: { iss?: unknown; tid?: unknown },
): string | undefined {
  const { iss, tid } = claims
  if (typeof tid !== 'string' || !TENANT_ID.test(tid)) {
    return 'the ID token names no directory (tid) to check its issuer against'
  }
  const expected = metadataIssuer.replace(TENANT_PLACEHOLDER, tid)
  if (iss !== expected) return `the ID token's issuer is not that of its directory ${tid}`
  return undefined
}
