// How the address book sorts and searches: the folded sort key, the text ?q= looks in, and
// the patterns a query becomes — phone numbers matching in any format.
import { describe, expect, it } from 'vitest'
import { fold, searchPatterns, searchText, sortKey } from '../../src/address-book/normalize.ts'
import { type Contact, emptyContact } from '../../src/contacts/contact.ts'

/** What LIKE would say: the pattern's literal parts, byte for byte (case included). */
function likeMatches(text: string, pattern: string): boolean {
  const body = pattern.slice(1, -1).replace(/\\([\\%_])/g, '$1')
  return text.includes(body)
}

const matches = (contact: Contact, query: string, region: Parameters<typeof searchPatterns>[1]) => {
  const text = searchText(contact, 'name')
  return searchPatterns(query, region).some((pattern) => likeMatches(text, pattern))
}

function withPhone(value: string, e164?: string): Contact {
  const contact = emptyContact('people/c1')
  contact.phones.push({ value, e164, type: 'mobile', primary: true })
  return contact
}

describe('sort key', () => {
  it('when names differ only in accents, case or spacing, then their keys are equal', () => {
    expect(sortKey('Émile Zola')).toBe('emile zola')
    expect(sortKey('emile   ZOLA ')).toBe('emile zola')
    expect(sortKey('ZOË')).toBe(sortKey('zoe'))
    expect(sortKey('Ångström')).toBe('angstrom')
  })

  it('when a letter has no accent to remove, then it is spelled as people type it', () => {
    expect(sortKey('Weiß')).toBe('weiss')
    expect(sortKey('Søren Kierkegård')).toBe('soren kierkegard')
    expect(sortKey('Łukasz Żółć')).toBe('lukasz zolc')
    expect(sortKey('Ærbø')).toBe('aerbo')
    expect(sortKey('İlker Yılmaz')).toBe('ilker yilmaz')
  })

  it('when names are sorted by their keys byte-wise (COLLATE "C"), then accented names sit among the plain ones', () => {
    const names = ['Zoë', 'émile', 'Eve', 'Ève', 'Adam', 'Émile', 'ada']
    const sorted = [...names].sort((a, b) => {
      const [x, y] = [Buffer.from(sortKey(a)), Buffer.from(sortKey(b))]
      return Buffer.compare(x, y)
    })
    expect(sorted.map(sortKey)).toEqual(['ada', 'adam', 'emile', 'emile', 'eve', 'eve', 'zoe'])
  })

  it('when a name is very long, then the key is cut at a whole character', () => {
    const key = sortKey('😀'.repeat(500))
    expect(Array.from(key)).toHaveLength(200)
    expect(key.isWellFormed()).toBe(true)
  })
})

describe('search text', () => {
  it('holds names, nicknames, emails, phones in three forms and organisations, folded, once each', () => {
    const contact = emptyContact('people/c1')
    contact.name.given = 'Émile'
    contact.name.family = 'Zola'
    contact.name.display = 'Émile Zola'
    contact.nicknames.push('Mimi')
    contact.emails.push({ address: 'Emile@Example.FR', type: 'home', primary: true })
    contact.phones.push({
      value: '020 7946 0958',
      e164: '+442079460958',
      type: 'work',
      primary: true,
    })
    contact.organizations.push({
      name: 'Éditions Charpentier',
      title: 'Écrivain',
      department: 'Romans',
      type: 'work',
      primary: true,
    })
    contact.notes.push({ value: 'not searched', contentType: 'text/plain' })
    const lines = searchText(contact, 'Émile Zola').split('\n')
    // "emile" and "zola" are inside "emile zola": they would find nothing more.
    expect(lines).toEqual([
      'emile zola',
      'mimi',
      'emile@example.fr',
      '020 7946 0958',
      '02079460958',
      '442079460958',
      'editions charpentier',
      'ecrivain',
      'romans',
    ])
  })
})

describe('search patterns', () => {
  it('when the query is blank, then there is nothing to match', () => {
    expect(searchPatterns('   ', 'GB')).toEqual([])
  })

  it('when the query has accents or capitals, then it matches the folded text', () => {
    const contact = emptyContact('people/c1')
    contact.name.display = 'emile zola'
    expect(searchPatterns('  ÉMILE   Zo ', undefined)).toEqual(['%emile zo%'])
    expect(matches(contact, 'Émile', undefined)).toBe(true)
  })

  it("when the query holds LIKE's wildcards, then they are matched literally", () => {
    expect(searchPatterns('100%_a\\b', undefined)).toEqual(['%100\\%\\_a\\\\b%'])
  })

  it('when a number is written in any of its forms, then the query finds it stored in any other', () => {
    const forms = ['+44 20 7946 0958', '020 7946 0958', '(020) 7946-0958', '+442079460958']
    const stored = [
      withPhone('+44 20 7946 0958', '+442079460958'),
      withPhone('020 7946 0958', '+442079460958'),
      // Imported without a region: no E.164, only what was typed.
      withPhone('(020) 7946-0958'),
      withPhone('+44 (0)20 7946 0958', '+442079460958'),
    ]
    for (const query of forms) {
      for (const contact of stored) {
        expect(matches(contact, query, 'GB'), `${query} → ${contact.phones[0]?.value}`).toBe(true)
      }
    }
  })

  it('when no region is configured, then a national number still finds its international form', () => {
    expect(
      matches(withPhone('+44 20 7946 0958', '+442079460958'), '020 7946 0958', undefined),
    ).toBe(true)
    expect(
      matches(withPhone('+44 20 7946 0958', '+442079460958'), '0044 20 7946 0958', undefined),
    ).toBe(true)
  })

  it('when the query is part of a number, then it finds the number', () => {
    expect(matches(withPhone('+1 415-555-0132', '+14155550132'), '555-0132', 'US')).toBe(true)
    expect(matches(withPhone('+1 415-555-0132', '+14155550132'), '(415) 555 0132', 'US')).toBe(true)
  })

  it('when a number differs, then it is not found', () => {
    expect(matches(withPhone('020 7946 0958', '+442079460958'), '020 7946 0959', 'GB')).toBe(false)
  })

  it('when the query holds control characters (NUL), then they are spaces, never sent as such', () => {
    expect(searchPatterns('ada\u0000\u0007love', undefined)).toEqual(['%ada love%'])
  })

  it('when the query is a long text, then it is cut', () => {
    const [pattern] = searchPatterns('a'.repeat(5000), undefined)
    expect(pattern).toHaveLength(202)
  })

  it('when a word is folded, then letters without accents fold as in the stored text', () => {
    expect(fold('STRASSE')).toBe(fold('Straße'))
  })
})
