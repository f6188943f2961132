// Opaque tokens for the demo People API: base64url(JSON payload || HMAC-SHA256). The MAC
// stops clients from forging cursors; each kind of token carries its own `k`, so a page
// token is never accepted as a sync token, nor the other way round.
import { Buffer } from 'node:buffer'
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export interface TokenSigner {
  seal(kind: string, payload: Readonly<Record<string, unknown>>): string
  /** The payload of a token this signer sealed for `kind`, else undefined. */
  open(kind: string, token: string): Record<string, unknown> | undefined
}

const MAC_BYTES = 32
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** A stable digest of the parameters that must not change between calls. */
export function hashParams(params: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(params)).digest('base64url')
}

export function createTokenSigner(secret: Uint8Array): TokenSigner {
  if (secret.byteLength < 32) throw new TypeError('pageTokenSecret must be at least 32 bytes')
  const mac = (data: Uint8Array) => createHmac('sha256', secret).update(data).digest()

  return {
    seal(kind, payload) {
      const bytes = Buffer.from(JSON.stringify({ ...payload, k: kind }))
      return Buffer.concat([bytes, mac(bytes)]).toString('base64url')
    },
    open(kind, token) {
      // Buffer.from(…, 'base64url') skips characters it does not know; refuse them instead.
      if (!BASE64URL.test(token)) return undefined
      const raw = Buffer.from(token, 'base64url')
      if (raw.byteLength <= MAC_BYTES) return undefined
      const bytes = raw.subarray(0, raw.byteLength - MAC_BYTES)
      if (!timingSafeEqual(raw.subarray(raw.byteLength - MAC_BYTES), mac(bytes))) return undefined
      let parsed: unknown
      try {
        parsed = JSON.parse(bytes.toString('utf8'))
      } catch {
        return undefined
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
      const payload = parsed as Record<string, unknown>
      return payload.k === kind ? payload : undefined
    },
  }
}

export const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
