// The `data` column's form of a Contact, in one place for the writes and the reads. It is
// the Contact without what the row holds anyway (externalId and etag are columns, raw has
// its own) and without empty lists: most contacts have no addresses, events or relations,
// and fifteen `"…":[]` on every row are a tenth of the table. Reading fills them back in.
import { type Contact, emptyContact } from '../contacts/contact.ts'

export type StoredData = Partial<Omit<Contact, 'externalId' | 'etag' | 'raw'>>

export function toStoredData(contact: Contact): StoredData {
  const { externalId: _id, etag: _etag, raw: _raw, ...fields } = contact
  const data: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (!(Array.isArray(value) && value.length === 0)) data[key] = value
  }
  return data
}

export function fromStoredData(
  row: { external_id: string; etag: string | null; data: StoredData },
  raw: unknown,
): Contact {
  const contact = emptyContact(row.external_id, raw ?? undefined)
  return {
    ...contact,
    ...row.data,
    name: { ...contact.name, ...row.data.name },
    etag: row.etag ?? undefined,
  }
}
