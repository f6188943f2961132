// Token records at rest: confidential, bound to their Redis key, tamper-evident, and
// readable across a key rotation.
import { describe, expect, it } from 'vitest'
import { createCipher, DecryptError } from '../../src/tokens/cipher.ts'

const OLD_KEY = Buffer.alloc(32, 0x01)
const NEW_KEY = Buffer.alloc(32, 0x02)
const RECORD_KEY = 'ci:tok:grant-alice'
const PLAINTEXT = JSON.stringify({ accessToken: 'at-secret-123', refreshToken: 'rt-secret-456' })

/** Flips one bit of one byte inside the given dot-separated part of a sealed value. */
function flipByte(sealed: string, partIndex: number, byteIndex = 0): string {
  const parts = sealed.split('.')
  const bytes = Buffer.from(parts[partIndex] ?? '', 'base64url')
  bytes[byteIndex] = (bytes[byteIndex] ?? 0) ^ 0x01
  parts[partIndex] = bytes.toString('base64url')
  return parts.join('.')
}

describe('sealing and opening token records', () => {
  it('when a value is sealed and opened under the same record key, then the plaintext comes back', () => {
    const cipher = createCipher([NEW_KEY])
    expect(cipher.open(cipher.seal(PLAINTEXT, RECORD_KEY), RECORD_KEY)).toBe(PLAINTEXT)
  })

  it('when non-ASCII and empty values are sealed, then they come back byte for byte', () => {
    const cipher = createCipher([NEW_KEY])
    for (const value of ['', 'Zoë Ångström 王秀英 🔑']) {
      expect(cipher.open(cipher.seal(value, RECORD_KEY), RECORD_KEY)).toBe(value)
    }
  })

  it('when a value is sealed, then the stored text reveals neither the plaintext nor the tokens', () => {
    const sealed = createCipher([NEW_KEY]).seal(PLAINTEXT, RECORD_KEY)
    expect(sealed).not.toContain('at-secret-123')
    expect(sealed).not.toContain('rt-secret-456')
    expect(sealed).not.toContain(Buffer.from(PLAINTEXT).toString('base64url').slice(0, 16))
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('when the same value is sealed twice, then the IVs and ciphertexts differ', () => {
    const cipher = createCipher([NEW_KEY])
    const first = cipher.seal(PLAINTEXT, RECORD_KEY).split('.')
    const second = cipher.seal(PLAINTEXT, RECORD_KEY).split('.')
    expect(first[2]).not.toBe(second[2])
    expect(first[3]).not.toBe(second[3])
  })

  it('when a sealed value is opened under another record key, then it fails with DecryptError', () => {
    const cipher = createCipher([NEW_KEY])
    const sealed = cipher.seal(PLAINTEXT, RECORD_KEY)
    expect(() => cipher.open(sealed, 'ci:tok:grant-mallory')).toThrow(DecryptError)
  })

  it.each([
    ['the IV', 2],
    ['the ciphertext', 3],
    ['the authentication tag', 4],
  ])('when one byte of %s is flipped, then opening fails with DecryptError', (_part, index) => {
    const cipher = createCipher([NEW_KEY])
    const sealed = cipher.seal(PLAINTEXT, RECORD_KEY)
    expect(() => cipher.open(flipByte(sealed, index), RECORD_KEY)).toThrow(DecryptError)
    expect(() => cipher.open(flipByte(sealed, index, 5), RECORD_KEY)).toThrow(DecryptError)
  })

  it('when the version or the key id is altered, then opening fails with DecryptError', () => {
    const cipher = createCipher([NEW_KEY])
    const [, id, ...rest] = cipher.seal(PLAINTEXT, RECORD_KEY).split('.')
    expect(() => cipher.open(['v2', id, ...rest].join('.'), RECORD_KEY)).toThrow(DecryptError)
    const otherId = (id ?? '').replace(/^./, (c) => (c === '0' ? '1' : '0'))
    expect(() => cipher.open(['v1', otherId, ...rest].join('.'), RECORD_KEY)).toThrow(DecryptError)
  })

  it('when the stored text is not a sealed record, then opening fails with DecryptError', () => {
    const cipher = createCipher([NEW_KEY])
    const sealed = cipher.seal(PLAINTEXT, RECORD_KEY)
    for (const value of ['', PLAINTEXT, 'v1.a.b.c', `${sealed}.extra`, sealed.slice(0, -30)]) {
      expect(() => cipher.open(value, RECORD_KEY)).toThrow(DecryptError)
    }
  })

  it('when the value was sealed with a key that is not configured, then opening fails with DecryptError', () => {
    const sealed = createCipher([OLD_KEY]).seal(PLAINTEXT, RECORD_KEY)
    expect(() => createCipher([NEW_KEY]).open(sealed, RECORD_KEY)).toThrow(DecryptError)
  })
})

describe('key rotation', () => {
  it('when the keys are [new, old], then values sealed with the old key still open', () => {
    const sealed = createCipher([OLD_KEY]).seal(PLAINTEXT, RECORD_KEY)
    expect(createCipher([NEW_KEY, OLD_KEY]).open(sealed, RECORD_KEY)).toBe(PLAINTEXT)
  })

  it('when the keys are [new, old], then new values are sealed with the new key', () => {
    const rotated = createCipher([NEW_KEY, OLD_KEY])
    const sealed = rotated.seal(PLAINTEXT, RECORD_KEY)
    expect(rotated.open(sealed, RECORD_KEY)).toBe(PLAINTEXT)
    // Sealed with the new key, so a process that only knows the new key reads it.
    expect(createCipher([NEW_KEY]).open(sealed, RECORD_KEY)).toBe(PLAINTEXT)
    expect(() => createCipher([OLD_KEY]).open(sealed, RECORD_KEY)).toThrow(DecryptError)
  })
})

describe('creating a cipher', () => {
  it('when no key is given, then createCipher throws a TypeError', () => {
    expect(() => createCipher([])).toThrow(TypeError)
  })

  it('when a key is not 32 bytes, then createCipher throws a TypeError', () => {
    expect(() => createCipher([Buffer.alloc(16, 1)])).toThrow(TypeError)
    expect(() => createCipher([NEW_KEY, Buffer.alloc(16, 1)])).toThrow(TypeError)
  })
})
