// The provider's raw record as the contacts table stores it (contacts.raw, bytea since
// migration 0004): its JSON text, deflated with a preset dictionary, behind one format byte.
// A record is about 1.5 kB of JSON, and PostgreSQL compresses a value only when its whole
// row passes a fixed ~2 kB threshold (toast_tuple_target cannot lower it), so a third of
// the rows kept their raw record uncompressed and the others got lz4 without a dictionary:
// 890 bytes a contact on average. Every People record repeats the same keys and values
// (`"metadata":{"primary":true,"sourcePrimary":true,"source":{"type":"CONTACT","id":…`),
// which a dictionary of that shape turns into back-references: 270 bytes on average for
// the benchmark's book. The record is only ever read whole, so nothing is lost by leaving
// it opaque to SQL; the JSON text round-trips exactly (NUL and lone surrogates included,
// which json/jsonb would refuse or rewrite).
//
// Formats, told apart by the first byte:
//   0x01      deflate (raw, RFC 1951) with RAW_DICTIONARY_1 preset (zlib's deflateSetDictionary);
//   otherwise the JSON text itself, as UTF-8: the rows written before 0004, whose json
//             column the migration converted as it was (no JSON text starts with 0x01).
// A format, once written, must stay readable: its dictionary never changes. A better
// dictionary is a new format byte.
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { RAW_DICTIONARY_1 } from './raw-dictionary.ts'

const DEFLATE_DICTIONARY_1 = 0x01

/**
 * A sync deflate allocates its state and its output buffer on every call: an 8 kB window
 * (it holds the dictionary and a record of up to 4 kB) and a small hash make the state
 * 64 kB instead of zlib's default 320 kB, and a 512-byte output chunk (a packed record is
 * ~270 bytes) instead of 16 kB keeps 16 MB of garbage a page out of the worker: measured
 * with the worker's heap flags over 25 pages, peak RSS rose by 110 MB with the defaults
 * and by 40 MB with these, at the same output size. Any inflate reads it.
 */
const DEFLATE_OPTIONS = {
  dictionary: RAW_DICTIONARY_1,
  windowBits: 13,
  memLevel: 6,
  chunkSize: 512,
}

/** What the contacts.raw column gets for a record (null for none). */
export function encodeRaw(raw: unknown): Buffer | null {
  if (raw === undefined || raw === null) return null
  const json = Buffer.from(JSON.stringify(raw), 'utf8')
  const packed = deflateRawSync(json, DEFLATE_OPTIONS)
  return Buffer.concat([Buffer.of(DEFLATE_DICTIONARY_1), packed])
}

/** The record back from the contacts.raw column. */
export function decodeRaw(stored: Buffer | null | undefined): unknown {
  if (!stored || stored.length === 0) return undefined
  if (stored[0] === DEFLATE_DICTIONARY_1) {
    const json = inflateRawSync(stored.subarray(1), { dictionary: RAW_DICTIONARY_1 })
    return JSON.parse(json.toString('utf8'))
  }
  return JSON.parse(stored.toString('utf8'))
}
