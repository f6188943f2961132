// `GET /v1.0/me/contactFolders` (the folders below the default one, never the default
// itself, contacts-apis.md §4.1), `…/contactFolders/{id}`, `…/{id}/childFolders`, paged by
// `$top` (10 by default) and `$skip` as Graph does; and `GET /v1.0/me/contacts/{id}` by
// immutable or legacy id, with its photo at `…/photo/$value` (404 without one).
import type { Request, RequestHandler, Response } from 'express'
import { contactJson, parseSelect } from './contact-json.ts'
import { graphErrors, sendGraphError } from './graph-errors.ts'
import { param, readGraphRequest } from './graph-request.ts'
import type { Folder, Mailboxes } from './mailbox.ts'

export function createFolderRoutes(mailboxes: Mailboxes) {
  const folderJson = (folder: Folder) => ({
    id: folder.id,
    displayName: folder.displayName,
    parentFolderId: folder.parentFolderId,
  })

  function sendFolders(req: Request, res: Response, parent: string) {
    const graph = readGraphRequest(req, res)
    const box = mailboxes.mailbox(graph.sub)
    const rawTop = param(req, '$top')
    const rawSkip = param(req, '$skip')
    const top = rawTop === undefined ? 10 : Number(rawTop)
    const skip = rawSkip === undefined ? 0 : Number(rawSkip)
    if (!Number.isInteger(top) || top < 1 || top > 1000 || !Number.isInteger(skip) || skip < 0) {
      return sendGraphError(res, graphErrors.badRequest('Invalid $top or $skip value.'))
    }
    const all = [...box.folders.values()].filter((f) => f.parentFolderId === parent)
    const body: Record<string, unknown> = { value: all.slice(skip, skip + top).map(folderJson) }
    if (skip + top < all.length) {
      const next = new URL(req.path.replace(/^\/v1\.0\//, ''), graph.base)
      next.searchParams.set('$top', String(top))
      next.searchParams.set('$skip', String(skip + top))
      const select = param(req, '$select')
      if (typeof select === 'string' && select !== 'repeated')
        next.searchParams.set('$select', select)
      body['@odata.nextLink'] = next.href
    }
    res.json(body)
  }

  const topFolders: RequestHandler = (req, res) => {
    const graph = readGraphRequest(req, res)
    sendFolders(req, res, mailboxes.mailbox(graph.sub).defaultFolder)
  }

  const childFolders: RequestHandler = (req, res) => {
    const graph = readGraphRequest(req, res)
    const box = mailboxes.mailbox(graph.sub)
    const id = String(req.params.folder)
    if (id !== box.defaultFolder && !box.folders.has(id)) {
      return sendGraphError(res, graphErrors.notFound())
    }
    sendFolders(req, res, id)
  }

  const oneContact: RequestHandler = (req, res) => {
    const graph = readGraphRequest(req, res)
    const contact = mailboxes.find(graph.sub, String(req.params.id))
    if (!contact) return sendGraphError(res, graphErrors.notFound())
    const select = parseSelect(param(req, '$select'))
    if (select === 'invalid') {
      return sendGraphError(
        res,
        graphErrors.badRequest('Could not find a property named in $select.'),
      )
    }
    res.json(contactJson(contact, { immutableIds: graph.immutableIds, select }))
  }

  const photo: RequestHandler = (req, res) => {
    const graph = readGraphRequest(req, res)
    const contact = mailboxes.find(graph.sub, String(req.params.id))
    if (!contact?.photo) return sendGraphError(res, graphErrors.notFound())
    const { photo } = contact
    const { bytes, contentType } =
      photo instanceof Uint8Array ? { bytes: photo, contentType: 'image/jpeg' } : photo
    res.type(contentType).send(Buffer.from(bytes))
  }

  const me: RequestHandler = (req, res) => {
    const { sub } = readGraphRequest(req, res)
    res.json({
      id: sub,
      displayName: sub,
      mail: `${sub}@work.example`,
      userPrincipalName: `${sub}@work.example`,
    })
  }

  return { topFolders, childFolders, oneContact, photo, me }
}
