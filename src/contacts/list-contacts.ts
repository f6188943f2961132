// Reads all of a person's contacts from their provider, page by page. A 401 for a token we
// believed valid (revoked early, clock skew, key rotation at the provider) triggers one
// shared refresh and one retry of that page; a second refusal ends with a clear error.
import type { ProviderClient } from '../auth/provider-client.ts'
import { reconnectError } from '../auth/reconnect.ts'
import { AppError, ErrorCode } from '../errors.ts'
import type { AccessTokens, GrantRef } from '../tokens/access-tokens.ts'
import type { Contact } from './contact.ts'
import { AccessTokenRejectedError, createPeopleApi, type PeopleApi } from './people-api.ts'

/** 1000 per page: enough for a million contacts, and a stop for a server that loops. */
const MAX_PAGES = 1000

export interface ContactsReader {
  list(grant: GrantRef): Promise<Contact[]>
}

export function createContactsReader(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  accessTokens: AccessTokens
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
        throw new AppError(ErrorCode.UNKNOWN_PROVIDER, 'That provider is no longer configured.')
      let { accessToken } = await deps.accessTokens.get(grant)
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
            throw reconnectError(grant.provider, {
              code: ErrorCode.CONTACTS_UNAUTHORIZED,
              message: 'Your contacts provider keeps refusing our access. Reconnect to continue.',
            })
          }
          retried = true
          ;({ accessToken } = await deps.accessTokens.get(grant, { rejected: accessToken }))
          pages--
          continue
        }
        contacts.push(...page.contacts)
        if (!page.nextPageToken) return contacts
        if (seenTokens.has(page.nextPageToken)) break
        seenTokens.add(page.nextPageToken)
        pageToken = page.nextPageToken
      }
      throw new AppError(
        ErrorCode.CONTACTS_BAD_RESPONSE,
        'Your contacts provider kept sending more pages than we can read. Please try again later.',
        { status: 502, title: 'Unexpected answer from the contacts service' },
      )
    },
  }
}
