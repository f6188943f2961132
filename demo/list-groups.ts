// GET /v1/contactGroups, the People API v1 contactGroups.list (contacts-apis.md §7.1): the
// system groups every account has, then the user's own, each with its member count. pageSize
// defaults to 30 as at Google; page tokens are bound to the query like those of connections.
import type { Request, RequestHandler, Response } from 'express'
import { readGrant } from './bearer-auth.ts'
import { parsePageSize } from './connections-request.ts'
import type { ContactDirectory } from './contact-directory.ts'
import { parseGroupFields, projectGroup, SYSTEM_CONTACT_GROUPS } from './contact-groups.ts'
import { googleErrors, sendGoogleError } from './google-errors.ts'
import type { PageTokens } from './page-token.ts'
import { hashParams } from './signed-token.ts'

export const DEFAULT_GROUPS_PAGE_SIZE = 30

export interface ListGroupsOptions {
  directory: ContactDirectory
  pageTokens: PageTokens
  now(): number
}

export function createListGroups(options: ListGroupsOptions): RequestHandler {
  const { directory, pageTokens } = options

  return function listGroups(req: Request, res: Response) {
    const grant = readGrant(res)
    if (!grant) throw new Error('listGroups must be mounted after bearerAuth')
    const query = new URL(req.originalUrl, 'http://rs.invalid').searchParams
    for (const name of ['pageSize', 'pageToken', 'groupFields', 'syncToken']) {
      if (query.getAll(name).length > 1) return sendGoogleError(res, googleErrors.invalidArgument())
    }
    // Incremental group reads are not offered: a client must not rely on them.
    if (query.get('syncToken')) return sendGoogleError(res, googleErrors.invalidArgument())
    const pageSize = parsePageSize(query.get('pageSize') ?? undefined, DEFAULT_GROUPS_PAGE_SIZE)
    const fields = parseGroupFields(query.get('groupFields') ?? undefined)
    if (pageSize === undefined || fields === undefined) {
      return sendGoogleError(res, googleErrors.invalidArgument())
    }
    const paramsHash = hashParams(['groups', grant.sub, query.get('groupFields') ?? ''])
    const pageToken = query.get('pageToken') || undefined
    const cursor = pageToken === undefined ? undefined : pageTokens.read(pageToken)
    if (pageToken !== undefined && cursor?.paramsHash !== paramsHash) {
      return sendGoogleError(res, googleErrors.invalidArgument())
    }

    // Groups change rarely: their position in the list is the key, not a change sequence.
    const groups = [...SYSTEM_CONTACT_GROUPS, ...directory.groups(grant.sub)]
    const start = cursor?.after ?? 0
    const end = start + pageSize
    const page = groups
      .slice(start, end)
      .map((group) =>
        projectGroup(group, directory.memberCount(grant.sub, group.resourceName), fields),
      )
    res.json({
      ...(page.length > 0 ? { contactGroups: page } : {}),
      ...(end < groups.length
        ? {
            nextPageToken: pageTokens.issue({
              after: end,
              asOfSeq: 0,
              paramsHash,
              startedAt: cursor?.startedAt ?? options.now(),
            }),
          }
        : {}),
      totalItems: groups.length,
    })
  }
}
