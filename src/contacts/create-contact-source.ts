// The factory that picks the adapter for a provider's configuration (oauth2-proxy's
// NewProvider switch): exhaustive, so a new X_CONTACTS_API value does not compile until it
// has an adapter.
import type { ProviderConfig } from '../config.ts'
import type { ContactSource } from './contact-source.ts'
import { createPeopleSource } from './sources/people.ts'

/** What a source needs of the provider's configuration. */
export type ContactSourceSettings = Pick<ProviderConfig, 'id' | 'contactsApi' | 'contactsUrl'>

export interface ContactSourceDeps {
  /** GET `url` with the access token as a Bearer credential (ProviderClient.fetchResource). */
  fetchResource(accessToken: string, url: URL): Promise<Response>
}

export function createContactSource(
  settings: ContactSourceSettings,
  deps: ContactSourceDeps,
): ContactSource {
  const api = settings.contactsApi
  switch (api) {
    case 'people':
      return createPeopleSource({
        provider: settings.id,
        baseUrl: settings.contactsUrl,
        fetchResource: deps.fetchResource,
      })
    default: {
      // A new X_CONTACTS_API value does not compile until it has a case here.
      const unhandled: never = api
      throw new TypeError(`unknown contacts API: ${String(unhandled)}`)
    }
  }
}
