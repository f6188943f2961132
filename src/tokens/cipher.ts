// AES-256-GCM for token records at rest (RFC 6749 §10.3/§10.4: tokens stay confidential in
// storage). The record's Redis key is the associated data, so a ciphertext copied under
// another grant's key fails to decrypt instead of handing one person another's tokens.
// Keys rotate: the first key encrypts, every listed key decrypts, and each sealed value
// names its key so decryption never has to guess. auth/pending-login.ts seals the pending
// sign-ins' cookies with it too, under keys of their own (derived from SESSION_SECRET).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const VERSION = 'v1'
const IV_BYTES = 12

export class DecryptError extends Error {
  override name = 'DecryptError'
}

export interface Cipher {
  seal(plaintext: string, associatedData: string): string
  /** The plaintext; throws DecryptError for anything it cannot authenticate. */
  open(sealed: string, associatedData: string): string
}

/** A short, non-secret name for a key, derived one-way from it. */
function keyId(key: Buffer): string {
  return createHash('sha256')
    .update('contacts-importer/token-key-id')
    .update(key)
    .digest('hex')
    .slice(0, 8)
}

export function createCipher(keys: readonly Buffer[]): Cipher {
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) {
    throw new TypeError('createCipher needs at least one 32-byte key')
  }
  const byId = new Map(keys.map((key) => [keyId(key), key]))
  const [current] = keys as [Buffer, ...Buffer[]]
  const currentId = keyId(current)

  return {
    seal(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', current, iv)
      cipher.setAAD(Buffer.from(associatedData))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return [VERSION, currentId, iv, body, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.')
    },

    open(sealed, associatedData) {
      const [version, id, iv, body, tag, extra] = sealed.split('.')
      if (version !== VERSION || !id || !iv || body === undefined || !tag || extra !== undefined) {
        throw new DecryptError('not a sealed token record')
      }
      const key = byId.get(id)
      if (!key) throw new DecryptError('sealed with a key that is no longer configured')
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
        decipher.setAAD(Buffer.from(associatedData))
        decipher.setAuthTag(Buffer.from(tag, 'base64url'))
        return Buffer.concat([
          decipher.update(Buffer.from(body, 'base64url')),
          decipher.final(),
        ]).toString('utf8')
      } catch (err) {
        throw new DecryptError(
          'token record failed authentication (tampered, moved or wrong key)',
          {
            cause: err,
          },
        )
      }
    },
  }
}
