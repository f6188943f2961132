// Entra's multi-tenant issuer template: an ID token must come from the directory it names.
import { describe, expect, it } from 'vitest'
import { isTenantTemplate, tenantIssuerProblem } from '../../src/oidc/tenant-issuer.ts'

const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0'
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const OTHER = '9188040d-6c67-4c5b-b112-36a304b66dad'

describe('the tenant-templated issuer', () => {
  it('when the discovered issuer holds {tenantid}, then it is a template; a concrete one is not', () => {
    expect(isTenantTemplate(TEMPLATE)).toBe(true)
    expect(isTenantTemplate(`https://login.microsoftonline.com/${TENANT}/v2.0`)).toBe(false)
    expect(isTenantTemplate('https://accounts.google.com')).toBe(false)
  })

  it("when iss is the template filled in with the token's tid, then the token passes", () => {
    const iss = `https://login.microsoftonline.com/${TENANT}/v2.0`
    expect(tenantIssuerProblem(TEMPLATE, { iss, tid: TENANT })).toBeUndefined()
  })

  it('when iss names another directory than tid, then it is refused', () => {
    const iss = `https://login.microsoftonline.com/${OTHER}/v2.0`
    expect(tenantIssuerProblem(TEMPLATE, { iss, tid: TENANT })).toMatch(/not that of its directory/)
  })

  it('when tid is missing or not a directory id, then it is refused, even when iss was built from it', () => {
    for (const tid of [undefined, '', 'common', 'undefined', '../evil', 42, null]) {
      const iss = `https://login.microsoftonline.com/${String(tid)}/v2.0`
      expect(tenantIssuerProblem(TEMPLATE, { iss, tid }), String(tid)).toMatch(/no directory/)
    }
  })

  it('when iss is the unfilled template itself, or another host, then it is refused', () => {
    for (const iss of [
      TEMPLATE,
      `https://evil.example/${TENANT}/v2.0`,
      `https://login.microsoftonline.com/${TENANT}/v2.0/`,
      undefined,
    ]) {
      expect(tenantIssuerProblem(TEMPLATE, { iss, tid: TENANT }), String(iss)).toBeDefined()
    }
  })
})
