// The factory that picks the adapter for a provider's configuration (oauth2-proxy's
// NewProvider switch): exhaustive, so a new X_CONTACTS_API value does not compile until it
// has an adapter.
import type { CountryCode } from 'libphonenumber-js/max'
import type { ProviderConfig } from '../config.ts'
import type { ContactSource } from './contact-source.ts'
import { createGraphSource } from './sources/graph.ts'
import { createPeopleSource } from './sources/people.ts'

/** What a source needs of the provider's configuration. */
export type ContactSourceSettings = Pick<ProviderConfig, 'id' | 'contactsApi' | 'contactsUrl'>

export interface ContactSourceDeps {
  /**
   * GET `url` with the access token as a Bearer credential and any extra `headers`
   * (ProviderClient.fetchResource).
   */
  fetchResource(accessToken: string, url: URL, headers?: Record<string, string>): Promise<Response>
  /**
   * ISO 3166-1 region assumed for phone numbers without a country code, when the provider
   * gives no E.164 form (DEFAULT_PHONE_REGION).
   */
  defaultRegion?: CountryCode | undefined
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
        defaultRegion: deps.defaultRegion,
      })
    case 'graph':
      return createGraphSource({
        provider: settings.id,
        baseUrl: settings.contactsUrl,
        fetchResource: deps.fetchResource,
        defaultRegion: deps.defaultRegion,
      })
    default: {
      // A new X_CONTACTS_API value does not compile until it has a case here.
      const unhandled: never = api
      throw new TypeError(`unknown contacts API: ${String(unhandled)}`)
    }
  }
}
