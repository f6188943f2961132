// Reads all of a person's contacts from their provider, page by page. A 401 for a token we
// believed valid (revoked early, clock skew, key rotation at the provider) triggers one
// shared refresh and one retry of that page; a second refusal ends with a clear error.

import { AppError, ErrorCode, reconnectNeeded } from '../errors.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { AccessTokens, GrantRef } from '../tokens/access-tokens.ts'
import type { Contact } from './contact.ts'
import { type ContactSource, type ContactsPage, createContactSource } from './contact-source.ts'
import { AccessTokenRejectedError } from './source-errors.ts'

/**
 * At 1000 per page, 30 pages hold 30,000 contacts, more than Google allows in one account
 * (25,000). The cap bounds the provider calls and the memory one page view can cause.
 */
const MAX_PAGES = 30

export interface ContactsReader {
  list(grant: GrantRef): Promise<Contact[]>
}

export function createContactsReader(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  accessTokens: AccessTokens
}): ContactsReader {
  const apis = new Map<string, ContactSource>()
  for (const [id, provider] of deps.providers) {
    apis.set(id, createContactSource(provider.settings, { fetchResource: provider.fetchResource }))
  }

  return {
    async list(grant) {
      const api = apis.get(grant.provider)
      if (!api)
        throw new AppError(ErrorCode.UNKNOWN_PROVIDER, 'That provider is no longer configured.', {
          status: 404,
        })
      let { accessToken } = await deps.accessTokens.get(grant)
      // One refresh-and-retry per page: a token may also expire during a long listing.
      let retried = false
      const contacts: Contact[] = []
      const seenTokens = new Set<string>()
      let pageToken: string | undefined
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        let page: ContactsPage
        try {
          page = await api.listPage(accessToken, pageToken ? { token: pageToken } : undefined)
        } catch (err) {
          if (!(err instanceof AccessTokenRejectedError)) throw err
          if (retried) {
            throw reconnectNeeded(grant.provider, {
              code: ErrorCode.CONTACTS_UNAUTHORIZED,
              message: 'Your contacts provider keeps refusing our access. Reconnect to continue.',
            })
          }
          retried = true
          ;({ accessToken } = await deps.accessTokens.get(grant, { rejected: accessToken }))
          pages--
          continue
        }
        retried = false
        contacts.push(...page.contacts)
        const nextPageToken = page.next && 'token' in page.next ? page.next.token : undefined
        if (!nextPageToken) return contacts
        if (seenTokens.has(nextPageToken)) {
          throw new AppError(
            ErrorCode.CONTACTS_BAD_RESPONSE,
            'Your contacts provider sent the same page twice. Please try again later.',
            { status: 502 },
          )
        }
        seenTokens.add(nextPageToken)
        pageToken = nextPageToken
      }
      throw new AppError(
        ErrorCode.CONTACTS_BAD_RESPONSE,
        'Your address book is larger than this app can show at once (30,000 contacts).',
        { status: 502 },
      )
    },
  }
}
