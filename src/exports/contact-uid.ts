// A contact's vCard UID: a name-based UUID (RFC 9562 §5.5, version 5) of its provider,
// connection and external id. The same record exports with the same UID every time, so an
// address book that imports the file twice updates the card instead of adding a second one;
// records of two connections never share one.
import { createHash } from 'node:crypto'

/** This app's namespace for contact UIDs (a random UUID, fixed once). */
const NAMESPACE = Buffer.from('6f1c3b52b0e54d5f9c1e2a7d8e4b9f03', 'hex')

export function contactUid(source: {
  provider: string
  connectionId: string
  externalId: string
}): string {
  // A separator that cannot occur in the parts keeps ("a", "b\nc") apart from ("a\nb", "c").
  const name = [source.provider, source.connectionId, source.externalId].join('\u0000')
  const bytes = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest().subarray(0, 16)
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
