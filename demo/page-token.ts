// Page tokens for connections.list and contactGroups.list (contacts-apis.md §3.1, §7.3).
// A token is bound to the request that produced it (paramsHash: Google requires every
// parameter but pageSize to match while paging) and to the view of the data as of the first
// page (asOfSeq), so that changes made while a client pages neither duplicate nor skip
// anybody. `after` is a keyset position, not an offset: tombstones that age out in between
// cannot shift it.
import { isCount, type TokenSigner } from './signed-token.ts'

export interface PageCursor {
  /** The position key of the last item served; the next page starts after it. */
  after: number
  /** The directory's change sequence when the first page was read. */
  asOfSeq: number
  paramsHash: string
  /** When the read began (ms): a full read's sync token counts its lifetime from here. */
  startedAt: number
}

export interface PageTokens {
  issue(cursor: PageCursor): string
  /** The cursor, or undefined for anything this server did not sign as a page token. */
  read(token: string): PageCursor | undefined
}

export function createPageTokens(signer: TokenSigner): PageTokens {
  return {
    issue(cursor) {
      return signer.seal('page', {
        o: cursor.after,
        s: cursor.asOfSeq,
        p: cursor.paramsHash,
        t: cursor.startedAt,
      })
    },
    read(token) {
      const payload = signer.open('page', token)
      if (!payload) return undefined
      const { o, s, p, t } = payload
      if (!isCount(o) || !isCount(s) || !isCount(t) || typeof p !== 'string') return undefined
      return { after: o, asOfSeq: s, paramsHash: p, startedAt: t }
    },
  }
}
