// Reads all of a person's contacts from their provider, page by page. A 401 for a token we
// believed valid (revoked early, clock skew, key rotation at the provider) triggers one
// shared refresh and one retry of that page; a second refusal ends with a clear error.

import { AppError, ErrorCode, reconnectNeeded } from '../errors.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { Contact } from './contact.ts'
import { AccessTokenRejectedError, createPeopleApi, type PeopleApi } from './people-api.ts'

/**
 * At 1000 per page, 30 pages hold 30,000 contacts, more than Google allows in one account
 * (25,000). The cap bounds the provider calls and the memory one page view can cause.
 */
const MAX_PAGES = 30

/** Whose contacts: the provider, and the connection's way to an access token. */
export interface ContactsOwner {
  provider: string
  accessToken(options?: { rejected?: string }): Promise<string>
}

export interface ContactsReader {
  list(owner: ContactsOwner): Promise<Contact[]>
}

export function createContactsReader(deps: {
  providers: ReadonlyMap<string, ProviderClient>
}): ContactsReader {
  const apis = new Map<string, PeopleApi>()
  for (const [id, provider] of deps.providers) {
    apis.set(
      id,
      createPeopleApi({
        providerId: id,
        baseUrl: provider.settings.contactsUrl,
        fetchResource: provider.fetchResource,
      }),
    )
  }

  return {
    async list(grant) {
      const api = apis.get(grant.provider)
      if (!api)
        throw new AppError(ErrorCode.UNKNOWN_PROVIDER, 'That provider is no longer configured.', {
          status: 404,
        })
      let accessToken = await grant.accessToken()
      // One refresh-and-retry per page: a token may also expire during a long listing.
      let retried = false
      const contacts: Contact[] = []
      const seenTokens = new Set<string>()
      let pageToken: string | undefined
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        let page: Awaited<ReturnType<PeopleApi['listPage']>>
        try {
          page = await api.listPage(accessToken, pageToken)
        } catch (err) {
          if (!(err instanceof AccessTokenRejectedError)) throw err
          if (retried) {
            throw reconnectNeeded(grant.provider, {
              code: ErrorCode.CONTACTS_UNAUTHORIZED,
              message: 'Your contacts provider keeps refusing our access. Reconnect to continue.',
            })
          }
          retried = true
          accessToken = await grant.accessToken({ rejected: accessToken })
          pages--
          continue
        }
        retried = false
        contacts.push(...page.contacts)
        if (!page.nextPageToken) return contacts
        if (seenTokens.has(page.nextPageToken)) {
          throw new AppError(
            ErrorCode.CONTACTS_BAD_RESPONSE,
            'Your contacts provider sent the same page twice. Please try again later.',
            { status: 502 },
          )
        }
        seenTokens.add(page.nextPageToken)
        pageToken = page.nextPageToken
      }
      throw new AppError(
        ErrorCode.CONTACTS_BAD_RESPONSE,
        'Your address book is larger than this app can show at once (30,000 contacts).',
        { status: 502 },
      )
    },
  }
}
