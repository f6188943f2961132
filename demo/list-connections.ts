// GET /v1/people/:id/connections, the People API v1 connections.list (contacts-apis.md §3.1,
// §3.3, §7.3). A full read pages through everyone live as of its first page, with totals on
// every page; with requestSyncToken=true its last page carries a signed nextSyncToken. A read
// with syncToken returns, in change order, everyone changed since that token: updated people
// projected, deleted ones as tombstones, renamed ones with their previous resourceNames; its
// last page carries the next token, which keeps the full sync's time, since expiry counts
// from there [D]. Page tokens are bound to the query and to the data as of the first page.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Request, RequestHandler, Response } from 'express'
import { readGrant } from './bearer-auth.ts'
import { parseListRequest } from './connections-request.ts'
import type { ContactDirectory, ReadResult } from './contact-directory.ts'
import { type ExpiredSyncTokenAnswer, googleErrors, sendGoogleError } from './google-errors.ts'
import type { PageTokens } from './page-token.ts'
import { projectPerson, projectTombstone } from './person-fields.ts'
import type { SyncCursor, SyncTokens } from './sync-token.ts'

/** What may change while the server runs (ContactsServer.settings). */
export interface ConnectionsSettings {
  /** How long a page takes per 1,000 people on it, in ms. */
  pageLatencyMs: number
  /** Sync tokens expire this long after their full sync. */
  syncTokenTtlMs: number
  expiredSyncTokenAnswer: ExpiredSyncTokenAnswer
}

export interface ListConnectionsOptions {
  directory: ContactDirectory
  pageTokens: PageTokens
  syncTokens: SyncTokens
  settings: Readonly<ConnectionsSettings>
  /** Sync tokens of an older generation are expired (faults.expireSyncTokens()). */
  generation(): number
  /** This server run; a token of another run is expired (sync-token.ts). */
  instance: string
  now(): number
}

export function createListConnections(options: ListConnectionsOptions): RequestHandler {
  const { directory, pageTokens, syncTokens, settings } = options

  const expired = (cursor: SyncCursor) =>
    cursor.instance !== options.instance ||
    cursor.generation < options.generation() ||
    options.now() - cursor.fullSyncAt > settings.syncTokenTtlMs

  return async function listConnections(req: Request, res: Response) {
    const grant = readGrant(res)
    if (!grant) throw new Error('listConnections must be mounted after bearerAuth')
    // Only people/me is a valid resourceName here (contacts-apis.md §3.1).
    if (req.params.id !== 'me') return sendGoogleError(res, googleErrors.invalidArgument())

    const parsed = parseListRequest(
      new URL(req.originalUrl, 'http://rs.invalid').searchParams,
      grant.sub,
    )
    if (!parsed.ok) return sendGoogleError(res, googleErrors.invalidArgument(parsed.message))
    const request = parsed.request

    let since: SyncCursor | undefined
    if (request.syncToken !== undefined) {
      since = syncTokens.read(request.syncToken)
      // A token of another query or user is a wrong argument, not an expired one.
      if (!since || since.paramsHash !== request.syncParamsHash) {
        return sendGoogleError(res, googleErrors.invalidArgument())
      }
      if (expired(since)) {
        return sendGoogleError(res, googleErrors.expiredSyncToken(settings.expiredSyncTokenAnswer))
      }
    }

    const page = request.pageToken === undefined ? undefined : pageTokens.read(request.pageToken)
    if (request.pageToken !== undefined && page?.paramsHash !== request.pageParamsHash) {
      return sendGoogleError(res, googleErrors.invalidArgument())
    }
    const asOfSeq = page?.asOfSeq ?? directory.seq
    const startedAt = page?.startedAt ?? options.now()
    const view = { asOfSeq, after: page?.after ?? 0, limit: request.pageSize }

    const result: ReadResult = !request.includesContacts
      ? { items: [], next: undefined }
      : since
        ? directory.readChanges(grant.sub, { ...view, since: since.seq })
        : directory.readFull(grant.sub, view)
    const connections = result.items.map(({ person, deleted, previousResourceNames }) =>
      deleted
        ? projectTombstone(person, request.fields)
        : projectPerson(person, request.fields, previousResourceNames),
    )
    const total = since || !request.includesContacts ? 0 : directory.countFull(grant.sub, asOfSeq)

    // A page of 1,000 full people takes Google about a second: scale by what this one holds.
    const latency = (settings.pageLatencyMs * connections.length) / 1000
    if (latency > 0) await sleep(latency)

    const nextSyncToken =
      result.next === undefined && (since || request.requestSyncToken)
        ? syncTokens.issue({
            seq: asOfSeq,
            paramsHash: request.syncParamsHash,
            fullSyncAt: since?.fullSyncAt ?? startedAt,
            generation: since?.generation ?? options.generation(),
            instance: options.instance,
          })
        : undefined
    res.json({
      ...(connections.length > 0 ? { connections } : {}),
      ...(result.next !== undefined
        ? {
            nextPageToken: pageTokens.issue({
              after: result.next,
              asOfSeq,
              paramsHash: request.pageParamsHash,
              startedAt,
            }),
          }
        : {}),
      ...(nextSyncToken ? { nextSyncToken } : {}),
      ...(total > 0 ? { totalPeople: total, totalItems: total } : {}),
    })
  }
}
