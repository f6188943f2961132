// A card's contacts as one: every value once, the lead's first, with the sources it came
// from; one primary per list; the lead's name, its gaps filled from the others.
import { describe, expect, it } from 'vitest'
import { mergeCard } from '../../src/address-book/merge-card.ts'
import { emptyContact } from '../../src/contacts/contact.ts'

const base = emptyContact('x')

describe('mergeCard', () => {
  it('when two sources hold one email in other case and spacing, and one number in two forms, then each is one value with both sources', () => {
    const merged = mergeCard([
      {
        connectionId: 'google',
        contact: {
          ...base,
          name: { ...base.name, display: 'Ada', given: 'Ada' },
          emails: [{ address: 'Ada@X.example', type: 'home', primary: true }],
          phones: [
            { value: '020 7946 0958', e164: '+442079460958', type: 'mobile', primary: true },
          ],
          labels: ['Friends'],
        },
      },
      {
        connectionId: 'work',
        contact: {
          ...base,
          name: { ...base.name, display: 'Ada King', family: 'King' },
          emails: [
            { address: ' ada@x.example ', type: 'work', primary: true },
            { address: 'countess@work.example', type: 'work', primary: false },
          ],
          phones: [
            { value: '+44 20 7946 0958', e164: '+442079460958', type: 'work', primary: true },
          ],
          labels: ['Friends', 'Work'],
        },
      },
    ])
    expect(merged.contact.emails.map((e) => [e.address, e.primary])).toEqual([
      ['Ada@X.example', true],
      ['countess@work.example', false],
    ])
    expect(merged.sources.emails).toEqual([['google', 'work'], ['work']])
    expect(merged.contact.phones).toHaveLength(1)
    expect(merged.sources.phones).toEqual([['google', 'work']])
    expect(merged.contact.name).toMatchObject({ display: 'Ada', given: 'Ada', family: 'King' })
    expect(merged.contact.labels).toEqual(['Friends', 'Work'])
  })

  it('when a card has one contact, then its values are its own, one source each', () => {
    const merged = mergeCard([
      {
        connectionId: 'google',
        contact: { ...base, emails: [{ address: 'a@b.example', type: undefined, primary: false }] },
      },
    ])
    expect(merged.contact.emails).toEqual([
      { address: 'a@b.example', type: undefined, primary: false },
    ])
    expect(merged.sources.emails).toEqual([['google']])
  })
})
