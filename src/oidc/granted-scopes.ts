// Which of the contacts scopes a token response did not grant. Google lets a person untick
// every scope beyond the sign-in ones on its consent screen, and says the app must check the
// `scope` of the token response instead of assuming (contacts-apis.md §3.5); Entra grants
// fewer when tenant policy blocks consent (§5). The contacts scopes are the configured ones
// other than the sign-in scopes (config.ts SIGN_IN_SCOPES, README "Decisions").
import type { ProviderConfig } from '../config.ts'

/**
 * `granted` lacks these of `settings.contactsScopes`. A scope counts as granted in its
 * resource-qualified form too (Entra answers `https://graph.microsoft.com/contacts.read` for
 * a requested `Contacts.Read`, §4.5), and in any letter case (Entra lower-cases some).
 */
export function missingContactsScopes(
  settings: Pick<ProviderConfig, 'contactsScopes' | 'contactsUrl'>,
  granted: readonly string[],
): string[] {
  const have = new Set(granted.map((scope) => scope.toLowerCase()))
  const qualified = (scope: string) => `${settings.contactsUrl.origin}/${scope}`.toLowerCase()
  return settings.contactsScopes.filter(
    (scope) => !have.has(scope.toLowerCase()) && !have.has(qualified(scope)),
  )
}
