// `GET /v1.0/me/contacts` (the default folder, v1.0 semantics) and
// `GET /v1.0/me/contactFolders/{id}/contacts` (contacts-apis.md §8.3): `$top` 10 by default,
// 1..1000, above that a 400 (or clamped, with the flag); `$select`; `$skip`; the nextLink is
// `…?$top=N&$skip=M` with the original `$select`, or an opaque `$skiptoken` with the flag
// `opaqueNextLinks` (an adapter that parses links breaks on it); `$filter` on an email.
import type { Request, RequestHandler, Response } from 'express'
import type { TokenSigner } from '../signed-token.ts'
import { contactJson, parseSelect } from './contact-json.ts'
import { graphErrors, sendGraphError } from './graph-errors.ts'
import { param, readGraphRequest, requestedFolder } from './graph-request.ts'
import type { GraphSettings } from './graph-settings.ts'
import type { Mailboxes, StoredContact } from './mailbox.ts'

const EMAIL_FILTER = /^emailAddresses\/any\(a:a\/address eq '([^']*)'\)$/

export function createListContacts(deps: {
  mailboxes: Mailboxes
  signer: TokenSigner
  settings: GraphSettings
}): RequestHandler {
  const { mailboxes, signer, settings } = deps

  return async function listContacts(req: Request, res: Response) {
    const graph = readGraphRequest(req, res)
    const box = mailboxes.mailbox(graph.sub)
    const folder = requestedFolder(req, box)
    if (folder === undefined) return sendGraphError(res, graphErrors.notFound())
    let top: number
    let skip: number
    let select: string | undefined
    let filter: string | undefined
    const token = param(req, '$skiptoken')
    if (token !== undefined) {
      const opened = token === 'repeated' ? undefined : signer.open('list', token)
      if (!opened || opened.folder !== folder) {
        return sendGraphError(res, graphErrors.badRequest('Invalid skip token.'))
      }
      ;({ top, skip } = opened as { top: number; skip: number })
      select = opened.select as string | undefined
      filter = opened.filter as string | undefined
    } else {
      const [rawTop, rawSkip, rawSelect, rawFilter] = ['$top', '$skip', '$select', '$filter'].map(
        (name) => param(req, name),
      )
      if ([rawTop, rawSkip, rawSelect, rawFilter].includes('repeated')) {
        return sendGraphError(res, graphErrors.badRequest('Query option specified more than once.'))
      }
      top = rawTop === undefined ? 10 : Number(rawTop)
      skip = rawSkip === undefined ? 0 : Number(rawSkip)
      if (!Number.isInteger(top) || top < 1 || !Number.isInteger(skip) || skip < 0) {
        return sendGraphError(res, graphErrors.badRequest('Invalid $top or $skip value.'))
      }
      if (top > 1000) {
        if (!settings.clampTop) {
          return sendGraphError(
            res,
            graphErrors.badRequest('The value of $top must be at most 1000.'),
          )
        }
        top = 1000
      }
      select = rawSelect
      filter = rawFilter
    }
    const names = parseSelect(select)
    if (names === 'invalid') {
      return sendGraphError(
        res,
        graphErrors.badRequest('Could not find a property named in $select.'),
      )
    }
    let email: string | undefined
    if (filter !== undefined) {
      email = EMAIL_FILTER.exec(filter)?.[1]
      if (email === undefined) {
        return sendGraphError(res, [
          400,
          'ErrorInvalidUrlQueryFilter',
          'The query filter is not supported.',
        ])
      }
    }

    const all = [...box.contacts.values()]
      .filter((c) => c.folder === folder)
      .filter(
        (c) =>
          email === undefined ||
          (Array.isArray(c.fields.emailAddresses) &&
            c.fields.emailAddresses.some(
              (e: { address?: string }) => e.address?.toLowerCase() === email?.toLowerCase(),
            )),
      )
      .sort((a: StoredContact, b: StoredContact) => a.createdSeq - b.createdSeq)
    const page = all.slice(skip, skip + top)
    if (settings.pageLatencyMs > 0) {
      await new Promise((resolve) =>
        setTimeout(resolve, (settings.pageLatencyMs * page.length) / 1000),
      )
    }
    const view = { immutableIds: graph.immutableIds, select: names }
    const body: Record<string, unknown> = {
      '@odata.context': `${graph.base}$metadata#users('${graph.sub}')/contacts`,
      value: page.map((c) => contactJson(c, view)),
    }
    if (skip + top < all.length) {
      const path =
        folder === box.defaultFolder && typeof req.params.folder !== 'string'
          ? 'me/contacts'
          : `me/contactFolders/${encodeURIComponent(folder)}/contacts`
      const next = new URL(path, graph.base)
      if (settings.opaqueNextLinks) {
        next.searchParams.set(
          '$skiptoken',
          signer.seal('list', { folder, top, skip: skip + top, select, filter }),
        )
      } else {
        next.searchParams.set('$top', String(top))
        next.searchParams.set('$skip', String(skip + top))
        if (select !== undefined) next.searchParams.set('$select', select)
        if (filter !== undefined) next.searchParams.set('$filter', filter)
      }
      body['@odata.nextLink'] = next.href
    }
    res.json(body)
  }
}
