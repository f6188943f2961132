// Photos fetched on demand, from the Graph mapping to the stored row and back to the page:
// every Graph contact may have one at `/me/contacts/{id}/photo/$value`; the row keeps a few
// bytes for it, not a second copy of the id; the Graph adapter sends a token only to that
// path under the API root; and the page links it through the contact that holds it.
import { describe, expect, it } from 'vitest'
import { fromStoredData, toStoredData } from '../../src/address-book/stored-data.ts'
import { type Contact, emptyContact, isPhotoOnDemand } from '../../src/contacts/contact.ts'
import { photoUrl } from '../../src/contacts/sources/graph/photo.ts'
import { toContact } from '../../src/contacts/sources/graph/to-contact.ts'
import { cardView } from '../../src/web/card-view.ts'
import { storedContact } from '../fixtures/stored-contact.ts'

// A Graph immutable id is about this long, and ends in `=`, which a path encodes.
const GRAPH_ID = `AAMkADE4MWMw${'ZmYtNDk1Ny00YjA1LWFhNmEtOTQ3ZjRkZTQ3YTJlAEYAAAAAAL'.repeat(3)}AAA=`
const API = new URL('https://graph.microsoft.com/v1.0/')

function graphContact(id = GRAPH_ID): Contact {
  const contact = toContact({ id, displayName: 'Ada Lovelace', givenName: 'Ada' })
  if (!contact) throw new Error('not mapped')
  return contact
}

describe('the Graph mapping', () => {
  it('when Graph lists a contact, then it may have a photo, fetched on demand at its path below the API root', () => {
    expect(graphContact().photos).toEqual([
      { fetchPath: `/me/contacts/${encodeURIComponent(GRAPH_ID)}/photo/$value` },
    ])
  })
})

describe('the stored row', () => {
  const row = (contact: Contact, externalId = contact.externalId) => ({
    external_id: externalId,
    etag: null,
    data: JSON.parse(JSON.stringify(toStoredData(contact))),
  })

  it('when a Graph contact is stored, then its photo path keeps a slot for the id, not the id again, and reads back whole', () => {
    const contact = graphContact()
    const stored = JSON.stringify(toStoredData(contact))
    expect(stored).not.toContain(encodeURIComponent(GRAPH_ID))
    expect(stored).toContain('"fetchPath":"/me/contacts/{id}/photo/$value"')
    // What the photo adds to each row's data, whatever the id's length (in jsonb, 75 bytes).
    const without = JSON.stringify(toStoredData({ ...contact, photos: [] }))
    expect(stored.length - without.length).toBeLessThanOrEqual(60)
    expect(fromStoredData(row(contact), undefined).photos).toEqual(contact.photos)
  })

  it('when the row is re-keyed to a new external id, then the photo path names the new id', () => {
    const read = fromStoredData(row(graphContact(), 'AAMkNew/id='), undefined)
    expect(read.photos).toEqual([{ fetchPath: '/me/contacts/AAMkNew%2Fid%3D/photo/$value' }])
  })

  it('when a People contact is stored, then its photo URLs are kept as they are', () => {
    const contact = emptyContact('people/c1')
    contact.photos = [
      { url: 'https://lh3.example/people/c1/{id}', isDefault: false, primary: true },
    ]
    expect(fromStoredData(row(contact), undefined).photos).toEqual(contact.photos)
  })
})

describe('where the Graph adapter sends the token for a photo', () => {
  it.each([
    '/me/contacts/AAMk%3D/photo/$value',
    `/me/contacts/${encodeURIComponent(GRAPH_ID)}/photo/$value`,
  ])('when the path is a contact photo’s (%s), then the URL is under the API root', (path) => {
    const url = photoUrl(path, API)
    expect(url?.origin).toBe('https://graph.microsoft.com')
    expect(url?.pathname).toBe(`/v1.0${path}`)
  })

  it.each([
    ['another resource', '/me/messages/AAMk/$value'],
    ['the person’s own photo', '/me/photo/$value'],
    ['a contact’s data', '/me/contacts/AAMk'],
    ['a climb out of the contacts', '/me/contacts/../photo/$value'],
    ['an encoded climb', '/me/contacts/%2E%2E/photo/$value'],
    ['a dot', '/me/contacts/./photo/$value'],
    ['an absolute URL', 'https://evil.example/me/contacts/AAMk/photo/$value'],
    ['a protocol-relative URL', '//evil.example/me/contacts/AAMk/photo/$value'],
    ['a query', '/me/contacts/AAMk/photo/$value?x=1'],
    ['two segments for the id', '/me/contacts/AA/Mk/photo/$value'],
    ['no leading slash', 'me/contacts/AAMk/photo/$value'],
    ['broken percent-encoding', '/me/contacts/%E0%A4%A/photo/$value'],
    ['an empty id', '/me/contacts//photo/$value'],
  ])('when the path is %s, then there is no URL at all', (_what, path) => {
    expect(photoUrl(path, API)).toBeUndefined()
  })
})

describe('the card page', () => {
  it('when a card merges a People contact and a Graph contact, then the Graph photo links to the Graph contact’s /photo under its provider’s name, and the People photo to its URL', () => {
    const people = emptyContact('people/c1')
    people.photos = [{ url: 'https://photos.example/ada.jpg', isDefault: false, primary: true }]
    const lead = storedContact(people, { id: 'lead-id', connectionId: 'google' })
    const work = storedContact(graphContact(), { id: 'graph-id', connectionId: 'work' })
    const labels: Record<string, string> = { google: 'Google', work: 'Microsoft' }
    const view = cardView(
      { id: 'lead-id', contacts: [lead, work], reasons: [], takenOut: [] },
      (id) => ({
        connectionId: id,
        label: labels[id] ?? id,
        account: undefined,
      }),
    )
    expect(view.photos.map((p) => [p.text, p.href])).toEqual([
      ['Photo', 'https://photos.example/ada.jpg'],
      ['Photo at Microsoft', '/contacts/graph-id/photo'],
    ])
    expect(view.photos[1]?.sources.map((s) => s.label)).toEqual(['Microsoft'])
    expect(work.contact.photos.every(isPhotoOnDemand)).toBe(true)
  })
})
