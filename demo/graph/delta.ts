// `GET /v1.0/me/contactFolders/{id}/contacts/delta` (the documented form) and
// `GET /v1.0/me/contacts/delta` (undocumented, the default folder), contacts-apis.md §8.4:
//   - the initial request takes `$select` and `Prefer: odata.maxpagesize` (10 by default,
//     200 at most) and brings every contact of the folder, page by page through nextLinks
//     carrying an opaque `$skiptoken` (an HMAC of folder, select, position and round end);
//     the last page carries the deltaLink, whose `$deltatoken` seals folder, select and the
//     sequence number the round reached;
//   - a deltaLink brings what changed in the folder since: contacts in full (or only their
//     changed properties, flag `partialUpdates`), deletions and moves out of the folder as
//     `@removed`; `$select` beside a token is ignored, the token carries it;
//   - tokens of an earlier generation (expireDeltaTokens) or older than the TTL → 410.
import type { Request, RequestHandler, Response } from 'express'
import type { TokenSigner } from '../signed-token.ts'
import { contactJson, idOf, parseSelect } from './contact-json.ts'
import { graphErrors, sendGraphError } from './graph-errors.ts'
import { param, readGraphRequest, requestedFolder } from './graph-request.ts'
import type { GraphSettings } from './graph-settings.ts'
import type { Mailboxes, StoredContact, Tombstone } from './mailbox.ts'

interface Round {
  folder: string
  select: string | null
  mode: 'initial' | 'changes'
  from: number
  upTo: number
  after: number
  generation: number
}

type Entry = { seq: number; contact: StoredContact } | { seq: number; tombstone: Tombstone }

export function createDelta(deps: {
  mailboxes: Mailboxes
  signer: TokenSigner
  settings: GraphSettings
  generation: () => number
  now: () => number
}): RequestHandler {
  const { mailboxes, signer, settings, now } = deps

  function expired(res: Response, initialUrl: string) {
    if (settings.expiredAnswer === 'location') res.set('Location', initialUrl)
    sendGraphError(
      res,
      settings.expiredAnswer === 'resyncRequired'
        ? graphErrors.resyncRequired()
        : graphErrors.syncStateNotFound(),
    )
  }

  return async function delta(req: Request, res: Response) {
    const graph = readGraphRequest(req, res)
    const box = mailboxes.mailbox(graph.sub)
    const folder = requestedFolder(req, box)
    if (folder === undefined) return sendGraphError(res, graphErrors.notFound())
    const path =
      typeof req.params.folder === 'string'
        ? `me/contactFolders/${encodeURIComponent(folder)}/contacts/delta`
        : 'me/contacts/delta'
    const link = (name: '$skiptoken' | '$deltatoken', token: string) => {
      const url = new URL(path, graph.base)
      url.searchParams.set(name, token)
      return url.href
    }
    const deltaToken = param(req, '$deltatoken')
    const skipToken = param(req, '$skiptoken')
    if (deltaToken === 'repeated' || skipToken === 'repeated' || (deltaToken && skipToken)) {
      return sendGraphError(res, graphErrors.badRequest('Only one delta token is allowed.'))
    }

    let round: Round
    if (deltaToken !== undefined || skipToken !== undefined) {
      const opened =
        deltaToken !== undefined
          ? signer.open('delta', deltaToken)
          : signer.open('skip', skipToken as string)
      // A token from another run of the fake is one Graph no longer knows.
      if (!opened) return expired(res, new URL(path, graph.base).href)
      if (opened.folder !== folder) {
        return sendGraphError(res, graphErrors.badRequest('The token belongs to another folder.'))
      }
      const initialUrl = new URL(path, graph.base)
      if (typeof opened.select === 'string') initialUrl.searchParams.set('$select', opened.select)
      if (
        opened.generation !== deps.generation() ||
        now() - Number(opened.at) > settings.deltaTokenTtlMs
      ) {
        return expired(res, initialUrl.href)
      }
      round =
        deltaToken !== undefined
          ? {
              folder,
              select: (opened.select as string | null) ?? null,
              mode: 'changes',
              from: opened.seq as number,
              upTo: box.seq,
              after: opened.seq as number,
              generation: deps.generation(),
            }
          : (opened.round as Round)
    } else {
      const select = param(req, '$select')
      if (parseSelect(select) === 'invalid') {
        return sendGraphError(
          res,
          graphErrors.badRequest('Could not find a property named in $select.'),
        )
      }
      round = {
        folder,
        select: (select as string | undefined) ?? null,
        mode: 'initial',
        from: 0,
        upTo: box.seq,
        after: 0,
        generation: deps.generation(),
      }
      if (settings.emitEmptyIntermediatePage) {
        const token = signer.seal('skip', {
          folder,
          round,
          generation: round.generation,
          at: now(),
        })
        return res.json({ value: [], '@odata.nextLink': link('$skiptoken', token) })
      }
    }

    const inRange = (seq: number) => seq > round.from && seq <= round.upTo && seq > round.after
    const entries: Entry[] = [
      ...[...box.contacts.values()]
        .filter((c) => c.folder === folder && inRange(c.changeSeq))
        .map((contact) => ({ seq: contact.changeSeq, contact })),
      ...(round.mode === 'changes'
        ? box.tombstones
            .filter((t) => t.folder === folder && inRange(t.seq))
            .map((tombstone) => ({ seq: tombstone.seq, tombstone }))
        : []),
    ].sort((a, b) => a.seq - b.seq)
    const size = Math.min(
      graph.maxPageSize ?? settings.deltaDefaultPageSize,
      settings.deltaMaxPageSize,
    )
    const page = entries.slice(0, Math.max(1, size))
    const select = parseSelect(round.select ?? undefined)
    const view = {
      immutableIds: graph.immutableIds,
      select: select === 'invalid' ? undefined : select,
    }

    const value = page.map((entry) => {
      if ('tombstone' in entry) {
        const { tombstone } = entry
        return {
          '@odata.type': '#microsoft.graph.contact',
          id: graph.immutableIds ? tombstone.immutableId : tombstone.legacyId,
          '@removed': { reason: settings.removedReason },
        }
      }
      const { contact } = entry
      const partial =
        settings.partialUpdates && round.mode === 'changes' && contact.createdSeq <= round.from
      if (!partial) return contactJson(contact, view)
      const changed = contact.changed.filter((n) => !view.select || view.select.includes(n))
      return { ...contactJson(contact, view, changed), id: idOf(contact, graph.immutableIds) }
    })
    if (settings.replayLastChange && value.length > 0) value.push(value.at(-1) as never)
    if (settings.pageLatencyMs > 0) {
      await new Promise((resolve) =>
        setTimeout(resolve, (settings.pageLatencyMs * page.length) / 1000),
      )
    }

    const body: Record<string, unknown> = {
      '@odata.context': `${graph.base}$metadata#Collection(contact)`,
      value,
    }
    const last = page.at(-1)
    if (entries.length > page.length && last) {
      const next = { ...round, after: last.seq }
      body['@odata.nextLink'] = link(
        '$skiptoken',
        signer.seal('skip', { folder, round: next, generation: round.generation, at: now() }),
      )
    } else {
      body['@odata.deltaLink'] = link(
        '$deltatoken',
        signer.seal('delta', {
          folder,
          select: round.select,
          seq: round.upTo,
          generation: round.generation,
          at: now(),
        }),
      )
    }
    res.json(body)
  }
}
