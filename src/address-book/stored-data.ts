// The `data` column's form of a Contact, in one place for the writes and the reads. It is
// the Contact without what the row holds anyway (externalId and etag are columns, raw has
// its own) and without empty lists: most contacts have no addresses, events or relations,
// and fifteen `"…":[]` on every row are a tenth of the table. Reading fills them back in.
//
// A photo fetched on demand (Graph: every contact may have one at
// `/me/contacts/{id}/photo/$value`) names the contact's own external id in its path, and
// Graph ids are about 150 characters: stored as is, the path would add some 250 bytes of
// jsonb to each of 25,000 rows, a copy of a column the row holds anyway. The stored path
// has `{id}` in place of the encoded id instead, the same 75 bytes on every row, and
// reading puts the id back (a re-keyed row, relink, so names its new id). encodeURIComponent
// never leaves a `{`, so the slot cannot be mistaken for part of an id, and the two
// replacements undo each other.
import {
  type Contact,
  type ContactPhoto,
  emptyContact,
  isPhotoOnDemand,
} from '../contacts/contact.ts'

export type StoredData = Partial<Omit<Contact, 'externalId' | 'etag' | 'raw'>>

const ID_SLOT = '{id}'

function storedPhoto(photo: ContactPhoto, externalId: string): ContactPhoto {
  if (!isPhotoOnDemand(photo) || externalId === '') return photo
  return {
    ...photo,
    fetchPath: photo.fetchPath.replaceAll(encodeURIComponent(externalId), ID_SLOT),
  }
}

function readPhoto(photo: ContactPhoto, externalId: string): ContactPhoto {
  if (!isPhotoOnDemand(photo)) return photo
  return {
    ...photo,
    fetchPath: photo.fetchPath.replaceAll(ID_SLOT, encodeURIComponent(externalId)),
  }
}

export function toStoredData(contact: Contact): StoredData {
  const { externalId, etag: _etag, raw: _raw, ...fields } = contact
  const data: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (!(Array.isArray(value) && value.length === 0)) data[key] = value
  }
  if (contact.photos.length > 0) {
    data.photos = contact.photos.map((photo) => storedPhoto(photo, externalId))
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
    photos: (row.data.photos ?? []).map((photo) => readPhoto(photo, row.external_id)),
    etag: row.etag ?? undefined,
  }
}
