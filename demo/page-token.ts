// Opaque page tokens for connections.list: base64url(JSON {offset, paramsHash} || HMAC-SHA256).
// The MAC stops clients from forging offsets, and paramsHash binds a token to the request that
// produced it, since Google requires every parameter but pageSize to match while paging
// (contacts-apis.md §3.1, §7.3).
import { Buffer } from 'node:buffer'
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export interface PageCursor {
  offset: number
  paramsHash: string
}

export interface PageTokens {
  issue(cursor: PageCursor): string
  /** The cursor, or undefined for anything this server did not sign. */
  read(token: string): PageCursor | undefined
}

const MAC_BYTES = 32
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** A stable digest of the parameters that must not change between pages. */
export function hashParams(params: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(params)).digest('base64url')
}

export function createPageTokens(secret: Uint8Array): PageTokens {
  if (secret.byteLength < 32) throw new TypeError('pageTokenSecret must be at least 32 bytes')
  const mac = (data: Uint8Array) => createHmac('sha256', secret).update(data).digest()

  return {
    issue(cursor) {
      const payload = Buffer.from(JSON.stringify({ o: cursor.offset, p: cursor.paramsHash }))
      return Buffer.concat([payload, mac(payload)]).toString('base64url')
    },
    read(token) {
      // Buffer.from(…, 'base64url') skips characters it does not know; refuse them instead.
      if (!BASE64URL.test(token)) return undefined
      const raw = Buffer.from(token, 'base64url')
      if (raw.byteLength <= MAC_BYTES) return undefined
      const payload = raw.subarray(0, raw.byteLength - MAC_BYTES)
      if (!timingSafeEqual(raw.subarray(raw.byteLength - MAC_BYTES), mac(payload))) return undefined
      let parsed: unknown
      try {
        parsed = JSON.parse(payload.toString('utf8'))
      } catch {
        return undefined
      }
      if (typeof parsed !== 'object' || parsed === null) return undefined
      const { o, p } = parsed as Record<string, unknown>
      if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) return undefined
      if (typeof p !== 'string') return undefined
      return { offset: o, paramsHash: p }
    },
  }
}
