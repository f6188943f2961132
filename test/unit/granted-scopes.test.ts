// After the code exchange the app reads which scopes were granted (Google's granular consent
// lets a person untick the contacts scope; Entra's tenant policy may refuse it).
import { describe, expect, it } from 'vitest'
import { missingContactsScopes } from '../../src/oidc/granted-scopes.ts'

const google = {
  contactsScopes: ['https://www.googleapis.com/auth/contacts.readonly'],
  contactsUrl: new URL('https://people.googleapis.com'),
}
const microsoft = {
  contactsScopes: ['Contacts.Read'],
  contactsUrl: new URL('https://graph.microsoft.com'),
}

describe('missingContactsScopes', () => {
  it('when the contacts scope is among the granted ones, then nothing is missing', () => {
    expect(
      missingContactsScopes(google, [
        'openid',
        'https://www.googleapis.com/auth/userinfo.email',
        'https://www.googleapis.com/auth/contacts.readonly',
      ]),
    ).toEqual([])
  })

  it('when the person unticked the contacts scope, then it is named as missing', () => {
    expect(
      missingContactsScopes(google, ['openid', 'https://www.googleapis.com/auth/userinfo.email']),
    ).toEqual(['https://www.googleapis.com/auth/contacts.readonly'])
  })

  it('when Entra answers the resource-qualified or lower-cased form, then it counts as granted', () => {
    for (const granted of [
      ['Contacts.Read', 'openid', 'profile', 'email'],
      ['https://graph.microsoft.com/Contacts.Read', 'openid'],
      ['https://graph.microsoft.com/contacts.read'],
      ['contacts.read'],
    ]) {
      expect(missingContactsScopes(microsoft, granted), granted.join(' ')).toEqual([])
    }
  })

  it('when only a look-alike is granted (another resource, a broader name, a prefix), then the scope is missing', () => {
    for (const granted of [
      ['https://evil.example/Contacts.Read'],
      ['Contacts.ReadWrite.Shared'],
      ['Contacts'],
      ['User.Read', 'openid', 'offline_access'],
      [],
    ]) {
      expect(missingContactsScopes(microsoft, granted), granted.join(' ')).toEqual([
        'Contacts.Read',
      ])
    }
  })
})
