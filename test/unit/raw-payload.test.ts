// The provider's raw record as the contacts table keeps it (address-book/raw-payload.ts):
// packed small, read back exactly, and the rows written before migration 0004 still read.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createPeople } from '../../demo/seed.ts'
import { RAW_DICTIONARY_1 } from '../../src/address-book/raw-dictionary.ts'
import { decodeRaw, encodeRaw } from '../../src/address-book/raw-payload.ts'

describe('raw payload', () => {
  it('when a People record is packed, then it reads back exactly, at a fraction of its JSON', () => {
    const people = createPeople('raw-payload-test', 200)
    let json = 0
    let packed = 0
    for (const person of people) {
      const stored = encodeRaw(person)
      expect(decodeRaw(stored)).toEqual(person)
      json += Buffer.byteLength(JSON.stringify(person))
      packed += stored?.length ?? 0
    }
    expect(packed / json).toBeLessThan(0.25)
  })

  it('when a record holds NUL, lone surrogates and emoji, then it comes back unchanged', () => {
    const awkward = { 'key\u0000': 'a\u0000b', lone: '\udc00\ud800', emoji: '😀', quote: '"\\' }
    expect(decodeRaw(encodeRaw(awkward))).toEqual(awkward)
  })

  it('when there is no record, then nothing is stored and nothing is read', () => {
    expect(encodeRaw(undefined)).toBeNull()
    expect(encodeRaw(null)).toBeNull()
    expect(decodeRaw(null)).toBeUndefined()
  })

  it('when a row holds the JSON text of before migration 0004, then it is read as JSON', () => {
    const legacy = Buffer.from(' {"resourceName":"people/c1","names":[]}', 'utf8')
    expect(decodeRaw(legacy)).toEqual({ resourceName: 'people/c1', names: [] })
  })

  it('when the code changes, then the dictionary of format 1 stays byte for byte what rows were packed with', () => {
    // Rows packed with it are unreadable with any other: a new dictionary is a new format.
    expect(createHash('sha256').update(RAW_DICTIONARY_1).digest('hex')).toBe(
      '3959ac41d13c2de3ee1ca1fb4f1b3b780108f5f126cc78129c5b5e0d39620d43',
    )
  })
})
