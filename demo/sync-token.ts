// Sync tokens for connections.list (contacts-apis.md §3.3, §7.3): signed
// {seq, paramsHash, fullSyncAt, generation, instance}. `seq` is where the next incremental
// read starts; `fullSyncAt` is kept from the full read through every incremental one, because
// a token's lifetime counts from the full sync [D]; `generation` lets a test expire every
// token handed out so far (faults.expireSyncTokens()); `instance` names the server run whose
// change sequence `seq` counts in: after a restart the data starts afresh, so an older token
// can only be answered as expired.
import { isCount, type TokenSigner } from './signed-token.ts'

export interface SyncCursor {
  seq: number
  paramsHash: string
  fullSyncAt: number
  generation: number
  instance: string
}

export interface SyncTokens {
  issue(cursor: SyncCursor): string
  read(token: string): SyncCursor | undefined
}

export function createSyncTokens(signer: TokenSigner): SyncTokens {
  return {
    issue(cursor) {
      return signer.seal('sync', {
        s: cursor.seq,
        p: cursor.paramsHash,
        f: cursor.fullSyncAt,
        g: cursor.generation,
        i: cursor.instance,
      })
    },
    read(token) {
      const payload = signer.open('sync', token)
      if (!payload) return undefined
      const { s, p, f, g, i } = payload
      if (!isCount(s) || !isCount(f) || !isCount(g)) return undefined
      if (typeof p !== 'string' || typeof i !== 'string') return undefined
      return { seq: s, paramsHash: p, fullSyncAt: f, generation: g, instance: i }
    },
  }
}
