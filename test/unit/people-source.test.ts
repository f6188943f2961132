// The Google People API v1 adapter: payload → Contact mapping, the request it builds, and
// how each upstream failure is turned into something the person can act on. What every
// adapter must do alike is in the contract suite (test/contract/); this is People's own.
import { describe, expect, it } from 'vitest'
import { displayName, emptyContact } from '../../src/contacts/contact.ts'
import type { ContactSource } from '../../src/contacts/contact-source.ts'
import { createContactSource } from '../../src/contacts/create-contact-source.ts'
import { AccessTokenRejectedError } from '../../src/contacts/source-errors.ts'
import { PERSON_FIELDS, SKIP_REASONS, toContact } from '../../src/contacts/sources/people.ts'
import { AppError } from '../../src/errors.ts'
import { challengeError } from '../support/openid-errors.ts'

const BASE = 'http://127.0.0.1:4001'

interface Call {
  accessToken: string
  url: URL
}

/** The adapter with its own injection point answering from `respond`; records every call. */
function peopleApi(
  respond: (call: Call) => Response | Promise<Response>,
  baseUrl = BASE,
): { api: ContactSource; calls: Call[] } {
  const calls: Call[] = []
  const api = createContactSource(
    { id: 'demo', contactsApi: 'people', contactsUrl: new URL(baseUrl) },
    {
      fetchResource: async (accessToken, url) => {
        const call = { accessToken, url }
        calls.push(call)
        return respond(call)
      },
    },
  )
  return { api, calls }
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the call to fail')
}

const PERSON = {
  resourceName: 'people/c1',
  etag: '%EgUBAi43PRoEAQIFByIMbW9kZWw=',
  names: [
    { displayName: 'Liz Smith', givenName: 'Liz', familyName: 'Smith' },
    {
      metadata: { primary: true },
      displayName: 'Dr. Elizabeth Anne Smith Jr.',
      givenName: 'Elizabeth',
      middleName: 'Anne',
      familyName: 'Smith',
      honorificPrefix: 'Dr.',
      honorificSuffix: 'Jr.',
      phoneticGivenName: 'Eh-liz-a-beth',
      phoneticFamilyName: 'Smith',
    },
  ],
  nicknames: [{ value: 'Liz', type: 'DEFAULT' }, { value: 'Beth' }, { value: '' }],
  emailAddresses: [
    { value: 'liz@work.example', type: 'work' },
    { value: 'liz@home.example', type: 'home', metadata: { primary: true } },
    { value: '', type: 'other' },
  ],
  phoneNumbers: [
    { value: '030 1234567', type: 'work' },
    {
      value: '+49 170 1234567',
      canonicalForm: '+491701234567',
      type: 'mobile',
      metadata: { primary: true },
    },
  ],
  addresses: [
    { type: 'work', city: 'Berlin', countryCode: 'DE' },
    {
      metadata: { primary: true },
      type: 'home',
      formattedValue: '1 Main St\nSpringfield, IL 62701\nUSA',
      streetAddress: '1 Main St',
      city: 'Springfield',
      region: 'IL',
      postalCode: '62701',
      country: 'USA',
      countryCode: 'US',
      poBox: '12',
    },
    { type: 'other' },
  ],
  organizations: [
    { name: 'Old Corp' },
    {
      metadata: { primary: true },
      name: 'Acme GmbH',
      title: 'CTO',
      department: 'Engineering',
      type: 'work',
    },
  ],
  birthdays: [{ metadata: { primary: true }, date: { year: 1815, month: 12, day: 10 } }],
  urls: [
    { value: 'https://blog.example', type: 'blog' },
    { value: 'https://liz.example', type: 'homePage', metadata: { primary: true } },
  ],
  biographies: [{ value: '<b>Met</b> at the conference', contentType: 'TEXT_HTML' }],
  relations: [
    { person: 'John Smith', type: 'spouse' },
    { person: 'Ann', type: 'child' },
  ],
  events: [
    { date: { year: 2010, month: 6, day: 1 }, type: 'anniversary' },
    { date: { month: 2, day: 29 }, type: 'other' },
  ],
  photos: [
    { url: 'https://lh3.example/default', default: true },
    { url: 'https://lh3.example/chosen', metadata: { primary: true } },
  ],
  memberships: [
    { contactGroupMembership: { contactGroupResourceName: 'contactGroups/myContacts' } },
    { contactGroupMembership: { contactGroupResourceName: 'contactGroups/starred' } },
    { domainMembership: { inViewerDomain: true } },
  ],
}

describe('toContact', () => {
  it('when a person has every field, several values each, the primary not first, then all are mapped primary first', () => {
    expect(toContact(PERSON)).toEqual({
      externalId: 'people/c1',
      etag: '%EgUBAi43PRoEAQIFByIMbW9kZWw=',
      name: {
        display: 'Dr. Elizabeth Anne Smith Jr.',
        given: 'Elizabeth',
        middle: 'Anne',
        family: 'Smith',
        prefix: 'Dr.',
        suffix: 'Jr.',
        phoneticGiven: 'Eh-liz-a-beth',
        phoneticFamily: 'Smith',
      },
      nicknames: ['Liz', 'Beth'],
      emails: [
        { address: 'liz@home.example', type: 'home', primary: true },
        { address: 'liz@work.example', type: 'work', primary: false },
      ],
      phones: [
        { value: '+49 170 1234567', e164: '+491701234567', type: 'mobile', primary: true },
        // No canonical form and no country code, and no default region: no E.164.
        { value: '030 1234567', e164: undefined, type: 'work', primary: false },
      ],
      addresses: [
        {
          formatted: '1 Main St\nSpringfield, IL 62701\nUSA',
          street: '1 Main St',
          city: 'Springfield',
          region: 'IL',
          postalCode: '62701',
          country: 'USA',
          countryCode: 'US',
          type: 'home',
          primary: true,
        },
        {
          formatted: undefined,
          street: undefined,
          city: 'Berlin',
          region: undefined,
          postalCode: undefined,
          country: undefined,
          countryCode: 'DE',
          type: 'work',
          primary: false,
        },
      ],
      organizations: [
        {
          name: 'Acme GmbH',
          title: 'CTO',
          department: 'Engineering',
          type: 'work',
          primary: true,
        },
        {
          name: 'Old Corp',
          title: undefined,
          department: undefined,
          type: undefined,
          primary: false,
        },
      ],
      birthdays: [{ date: { year: 1815, month: 12, day: 10 }, text: undefined, primary: true }],
      urls: [
        { value: 'https://liz.example', type: 'homePage', primary: true },
        { value: 'https://blog.example', type: 'blog', primary: false },
      ],
      notes: [{ value: '<b>Met</b> at the conference', contentType: 'text/html' }],
      relations: [
        { person: 'John Smith', type: 'spouse' },
        { person: 'Ann', type: 'child' },
      ],
      events: [
        { date: { year: 2010, month: 6, day: 1 }, type: 'anniversary' },
        { date: { month: 2, day: 29 }, type: 'other' },
      ],
      photos: [
        { url: 'https://lh3.example/chosen', isDefault: false, primary: true },
        { url: 'https://lh3.example/default', isDefault: true, primary: false },
      ],
      labels: ['contactGroups/myContacts', 'contactGroups/starred'],
      raw: PERSON,
    })
  })

  it('when a person is mapped, then raw is the person object as received', () => {
    expect(toContact(PERSON)?.raw).toBe(PERSON)
  })

  it('when a person has only a resourceName (proto3 leaves empty lists out), then the contact has empty fields', () => {
    const person = { resourceName: 'people/c2' }
    expect(toContact(person)).toEqual(emptyContact('people/c2', person))
  })

  it('when a person has no usable resourceName, then there is no contact', () => {
    expect(toContact({ names: [{ displayName: 'Nobody' }] })).toBeUndefined()
    expect(toContact({ resourceName: '' })).toBeUndefined()
    expect(toContact({ resourceName: 42 })).toBeUndefined()
  })

  it('when every field holds null, a string, a number or an object instead of a list, then the field is empty and nothing throws', () => {
    for (const odd of [null, 'x', 7, { value: 'not a list' }, true]) {
      const person: Record<string, unknown> = { resourceName: 'people/c3' }
      for (const key of PERSON_FIELDS.split(',')) person[key] = odd
      expect(toContact(person)).toEqual(emptyContact('people/c3', person))
    }
  })

  it('when items are null, arrays, or have values of the wrong type, then those items or values are skipped', () => {
    const contact = toContact({
      resourceName: 'people/c4',
      names: [null, [], { displayName: 42, givenName: 'Ada', metadata: 'primary' }],
      nicknames: [{ value: 3 }, 'Addy'],
      emailAddresses: [{ value: ['a@example.com'] }, { value: 'a@example.com', type: 5 }],
      phoneNumbers: [{ value: 5551234 }, { value: '+1 202-555-0125', canonicalForm: 1 }],
      addresses: [{ city: 12 }],
      organizations: [{ name: null, title: {} }],
      birthdays: [{ date: 'tomorrow' }, { date: { month: 13, day: 1 } }, { text: 7 }],
      urls: [{ value: null }],
      biographies: [{ value: 'plain', contentType: 'SOMETHING_NEW' }],
      relations: [{ type: 'spouse' }],
      events: [{ date: { year: 2020 }, type: 'other' }],
      photos: [{ url: 'https://p.example/x', default: 'yes' }],
      memberships: [{ contactGroupMembership: 'contactGroups/x' }, { contactGroupMembership: {} }],
    })
    expect(contact).toMatchObject({
      name: { display: undefined, given: 'Ada' },
      nicknames: [],
      emails: [{ address: 'a@example.com', type: undefined, primary: false }],
      phones: [{ value: '+1 202-555-0125', e164: '+12025550125', type: undefined }],
      addresses: [],
      organizations: [],
      birthdays: [],
      urls: [],
      notes: [{ value: 'plain', contentType: 'text/plain' }],
      relations: [],
      events: [],
      photos: [{ url: 'https://p.example/x', isDefault: false, primary: false }],
      labels: [],
    })
  })

  it('when a birthday has no year (0 or absent), then it is month and day only; a text birthday is kept as text', () => {
    const contact = toContact({
      resourceName: 'people/c5',
      birthdays: [
        { date: { year: 0, month: 3, day: 15 } },
        { date: { month: 12, day: 10 } },
        { text: 'Spring 1990' },
        { date: { month: 0, day: 0 }, text: 'sometime' },
      ],
    })
    expect(contact?.birthdays).toEqual([
      { date: { month: 3, day: 15 }, text: undefined, primary: false },
      { date: { month: 12, day: 10 }, text: undefined, primary: false },
      { date: undefined, text: 'Spring 1990', primary: false },
      { date: undefined, text: 'sometime', primary: false },
    ])
  })

  it('when a phone has no canonical form and no country code, then its E.164 comes from the default region', () => {
    const person = {
      resourceName: 'people/c6',
      phoneNumbers: [
        { value: '030 1234567' },
        { value: '(020) 7946 0000' },
        { value: '+44 20 7946 0000' },
      ],
    }
    expect(toContact(person, { defaultRegion: 'DE' })?.phones.map((p) => p.e164)).toEqual([
      '+49301234567',
      undefined, // a London number is not a valid German one
      '+442079460000',
    ])
    expect(toContact(person, { defaultRegion: 'GB' })?.phones.map((p) => p.e164)).toEqual([
      undefined,
      '+442079460000',
      '+442079460000',
    ])
  })

  it('when the provider gave a canonical form, then it is kept, whatever the default region', () => {
    const person = {
      resourceName: 'people/c7',
      phoneNumbers: [{ value: '0170 1234567', canonicalForm: '+491701234567' }],
    }
    expect(toContact(person, { defaultRegion: 'US' })?.phones[0]?.e164).toBe('+491701234567')
  })

  it.each(['call me maybe', '12', '+999 123', '0000000000000000000000'])(
    'when a phone %j cannot be parsed as a valid number, then its value is kept without E.164',
    (value) => {
      const contact = toContact(
        { resourceName: 'people/c8', phoneNumbers: [{ value, type: 'mobile' }] },
        { defaultRegion: 'US' },
      )
      expect(contact?.phones).toEqual([{ value, e164: undefined, type: 'mobile', primary: false }])
    },
  )
})

describe('displayName', () => {
  const base = { resourceName: 'people/c9' }

  it.each([
    [
      'its display name',
      { ...base, names: [{ displayName: 'Ada Lovelace', givenName: 'Ada' }] },
      'Ada Lovelace',
    ],
    [
      'given and family name',
      { ...base, names: [{ givenName: 'Ada', familyName: 'Lovelace' }] },
      'Ada Lovelace',
    ],
    ['the family name alone', { ...base, names: [{ familyName: 'Lovelace' }] }, 'Lovelace'],
    [
      'its primary email',
      {
        ...base,
        emailAddresses: [
          { value: 'b@example.com' },
          { value: 'a@example.com', metadata: { primary: true } },
        ],
        phoneNumbers: [{ value: '+1 555 0100' }],
      },
      'a@example.com',
    ],
    ['its first phone', { ...base, phoneNumbers: [{ value: '+1 555 0100' }] }, '+1 555 0100'],
    ['its resource name', base, 'people/c9'],
  ])('when a contact has at best %s, then that is shown as its name', (_what, person, expected) => {
    const contact = toContact(person)
    if (!contact) throw new Error('toContact refused a person with a resourceName')
    expect(displayName(contact)).toBe(expected)
  })
})

describe('listPage: the request', () => {
  it('when the first page is read, then the connections URL carries personFields and pageSize and the access token is passed on', async () => {
    const { api, calls } = peopleApi(() => json({}))
    await api.listPage('access-token-1')

    expect(calls).toHaveLength(1)
    const [call] = calls
    expect(call?.accessToken).toBe('access-token-1')
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe(`${BASE}/v1/people/me/connections`)
    expect([...(call?.url.searchParams ?? [])]).toEqual([
      [
        'personFields',
        'names,nicknames,emailAddresses,phoneNumbers,addresses,organizations,birthdays,urls,biographies,relations,events,photos,memberships,metadata',
      ],
      ['pageSize', '1000'],
      ['requestSyncToken', 'true'],
    ])
  })

  it('when page 2 is read, then its query equals page 1’s apart from pageToken (People binds the token to the query)', async () => {
    const { api, calls } = peopleApi(({ url }) =>
      json(url.searchParams.has('pageToken') ? {} : { nextPageToken: 'page-2' }),
    )
    const first = await api.listPage('access-token-1')
    await api.listPage('access-token-1', first.next)

    const [one, two] = calls.map((call) => call.url)
    expect(two?.searchParams.get('pageToken')).toBe('page-2')
    const withoutToken = new URLSearchParams(two?.searchParams)
    withoutToken.delete('pageToken')
    expect(`${two?.origin}${two?.pathname}`).toBe(`${one?.origin}${one?.pathname}`)
    expect([...withoutToken]).toEqual([...(one?.searchParams ?? [])])
  })

  it('when a later page is read, then the page token is sent encoded as the last parameter', async () => {
    const { api, calls } = peopleApi(() => json({}))
    await api.listPage('access-token-1', { token: 'tok+/=&x' })

    const params = [...(calls[0]?.url.searchParams ?? [])]
    expect(params.map(([key]) => key)).toEqual([
      'personFields',
      'pageSize',
      'requestSyncToken',
      'pageToken',
    ])
    expect(calls[0]?.url.searchParams.get('pageToken')).toBe('tok+/=&x')
  })

  it('when it is handed a URL cursor (which People never issues), then it refuses before any request', async () => {
    const { api, calls } = peopleApi(() => json({}))
    await expect(
      api.listPage('access-token-1', { url: `${BASE}/v1/people/me/connections` }),
    ).rejects.toBeInstanceOf(TypeError)
    expect(calls).toEqual([])
  })

  it.each([
    [`${BASE}/`, `${BASE}/v1/people/me/connections`],
    [`${BASE}/people-api`, `${BASE}/people-api/v1/people/me/connections`],
    [`${BASE}/people-api/`, `${BASE}/people-api/v1/people/me/connections`],
  ])('when the base URL is %s, then the endpoint is %s', async (baseUrl, endpoint) => {
    const { api, calls } = peopleApi(() => json({}), baseUrl)
    await api.listPage('access-token-1')
    expect(`${calls[0]?.url.origin}${calls[0]?.url.pathname}`).toBe(endpoint)
  })
})

describe('listPage: malformed entries', () => {
  it('when the list holds null or non-object entries, then they are skipped instead of failing the page', async () => {
    const { api } = peopleApi(() =>
      json({
        connections: [
          null,
          'x',
          7,
          { resourceName: 'people/c1', names: [null, { displayName: 'One' }] },
        ],
      }),
    )
    const page = await api.listPage('access-token-1')
    expect(page.contacts.map(displayName)).toEqual(['One'])
    expect(page.skipped).toEqual(
      Array.from({ length: 3 }, () => ({
        externalId: undefined,
        reason: SKIP_REASONS.notAContact,
      })),
    )
  })

  it('when the body is larger than any real page, then it is refused as unreadable', async () => {
    const { api } = peopleApi(
      () => new Response('{}', { headers: { 'content-length': String(64 * 1024 * 1024) } }),
    )
    await expect(api.listPage('access-token-1')).rejects.toMatchObject({
      code: 'CONTACTS_BAD_RESPONSE',
    })
  })
})

describe('listPage: the answer', () => {
  it('when the page holds connections, then they are mapped, those without resourceName skipped, and paging data kept', async () => {
    const { api } = peopleApi(() =>
      json({
        connections: [
          { resourceName: 'people/c1', names: [{ displayName: 'One' }] },
          { names: [{ displayName: 'No id' }] },
          { resourceName: 'people/c3', emailAddresses: [{ value: 'three@example.com' }] },
        ],
        nextPageToken: 'page-2',
        totalItems: 3,
      }),
    )
    const page = await api.listPage('access-token-1')
    expect(page.contacts.map((c) => c.externalId)).toEqual(['people/c1', 'people/c3'])
    expect(page.contacts.map(displayName)).toEqual(['One', 'three@example.com'])
    expect(page.skipped).toEqual([{ externalId: undefined, reason: SKIP_REASONS.noId }])
    expect(page.next).toEqual({ token: 'page-2' })
    expect(page.total).toBe(3)
  })

  it('when the body is an empty object, then there are no contacts and no next page', async () => {
    const { api } = peopleApi(() => json({}))
    expect(await api.listPage('access-token-1')).toEqual({
      contacts: [],
      deleted: [],
      relinked: [],
      skipped: [],
      next: undefined,
    })
  })

  it('when the last page carries a nextSyncToken, then the page result returns it', async () => {
    const { api } = peopleApi(() => json({ connections: [], nextSyncToken: 'sync-1' }))
    expect(await api.listPage('access-token-1')).toEqual({
      contacts: [],
      deleted: [],
      relinked: [],
      skipped: [],
      next: undefined,
      syncToken: 'sync-1',
    })
  })

  it('when a page that is not the last carries a nextSyncToken, or it is not a string, then none is returned', async () => {
    const notLast = peopleApi(() => json({ nextPageToken: 'p2', nextSyncToken: 'early' }))
    expect((await notLast.api.listPage('access-token-1')).syncToken).toBeUndefined()
    const odd = peopleApi(() => json({ nextSyncToken: 42 }))
    expect((await odd.api.listPage('access-token-1')).syncToken).toBeUndefined()
  })

  it('when a default region is configured, then pages compute E.164 for numbers without a country code', async () => {
    const api = createContactSource(
      { id: 'demo', contactsApi: 'people', contactsUrl: new URL(BASE) },
      {
        defaultRegion: 'GB',
        fetchResource: async () =>
          json({
            connections: [
              { resourceName: 'people/c1', phoneNumbers: [{ value: '020 7946 0000' }] },
            ],
          }),
      },
    )
    const page = await api.listPage('access-token-1')
    expect(page.contacts[0]?.phones[0]?.e164).toBe('+442079460000')
  })

  it('when nextPageToken is empty, then there is no next page', async () => {
    const { api } = peopleApi(() => json({ nextPageToken: '' }))
    expect((await api.listPage('access-token-1')).next).toBeUndefined()
  })
})

describe('listPage: failures', () => {
  it('when the API answers 401, then AccessTokenRejectedError is thrown so the caller can refresh', async () => {
    const { api } = peopleApi(() => json({ error: { code: 401, status: 'UNAUTHENTICATED' } }, 401))
    expect(await rejectionOf(api.listPage('expired'))).toBeInstanceOf(AccessTokenRejectedError)
  })

  it('when the API answers 403, then it is CONTACTS_FORBIDDEN for that provider (its page offers to reconnect)', async () => {
    const { api } = peopleApi(() =>
      json({ error: { code: 403, status: 'PERMISSION_DENIED' } }, 403),
    )
    const err = await rejectionOf(api.listPage('access-token-1'))
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({
      code: 'CONTACTS_FORBIDDEN',
      status: 403,
      provider: 'demo',
    })
  })

  it.each([429, 500, 503])(
    'when the API answers %i, then it is CONTACTS_UNAVAILABLE, 502 and retryable',
    async (status) => {
      const { api } = peopleApi(() => json({ error: { code: status } }, status))
      const err = await rejectionOf(api.listPage('access-token-1'))
      expect(err).toBeInstanceOf(AppError)
      expect(err).toMatchObject({ code: 'CONTACTS_UNAVAILABLE', status: 502, retryable: true })
    },
  )

  it('when the API answers 429 with Retry-After, then the error carries the seconds to wait', async () => {
    const { api } = peopleApi(
      () =>
        new Response('{}', {
          status: 429,
          headers: { 'content-type': 'application/json', 'retry-after': '7' },
        }),
    )
    expect(await rejectionOf(api.listPage('access-token-1'))).toMatchObject({
      code: 'CONTACTS_UNAVAILABLE',
      retryable: true,
      retryAfterSeconds: 7,
      provider: 'demo',
    })
  })

  it('when the API answers 503 without Retry-After (as Google usually does), then there is no wait in the error', async () => {
    const { api } = peopleApi(() => json({ error: { code: 503 } }, 503))
    const err = await rejectionOf(api.listPage('access-token-1'))
    expect(err).toMatchObject({ code: 'CONTACTS_UNAVAILABLE', retryAfterSeconds: undefined })
  })

  it('when the API answers 404, then it is CONTACTS_BAD_RESPONSE and not retryable', async () => {
    const { api } = peopleApi(() => new Response('Not Found', { status: 404 }))
    const err = await rejectionOf(api.listPage('access-token-1'))
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE', status: 502, retryable: false })
  })

  it('when the API answers 200 with a body that is not JSON, then it is CONTACTS_BAD_RESPONSE', async () => {
    const { api } = peopleApi(() => new Response('<html>proxy error</html>', { status: 200 }))
    const err = await rejectionOf(api.listPage('access-token-1'))
    expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE', status: 502 })
  })

  it('when the API answers 200 with JSON null, then it is CONTACTS_BAD_RESPONSE', async () => {
    const { api } = peopleApi(() => json(null))
    const err = await rejectionOf(api.listPage('access-token-1'))
    expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE', status: 502 })
  })

  it('when the network fails (fetch failed), then it is CONTACTS_UNAVAILABLE, 502 and retryable', async () => {
    const { api } = peopleApi(() => {
      throw new TypeError('fetch failed')
    })
    const err = await rejectionOf(api.listPage('access-token-1'))
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ code: 'CONTACTS_UNAVAILABLE', status: 502, retryable: true })
  })

  it('when the resource server challenges with Bearer invalid_token, then AccessTokenRejectedError is thrown', async () => {
    const { api } = peopleApi(() => {
      throw challengeError(401, 'Bearer error="invalid_token"', [
        { scheme: 'bearer', parameters: { error: 'invalid_token' } },
      ])
    })
    expect(await rejectionOf(api.listPage('expired'))).toBeInstanceOf(AccessTokenRejectedError)
  })

  it('when a 503 comes with a challenge and Retry-After, then it is CONTACTS_UNAVAILABLE with the wait', async () => {
    const { api } = peopleApi(() => {
      const err = challengeError(503, 'Bearer realm="contacts"', [
        { scheme: 'bearer', parameters: {} },
      ])
      err.response.headers.set('retry-after', '2.5')
      throw err
    })
    expect(await rejectionOf(api.listPage('access-token-1'))).toMatchObject({
      code: 'CONTACTS_UNAVAILABLE',
      retryAfterSeconds: 2.5,
    })
  })

  it('when the resource server challenges with insufficient_scope, then it is CONTACTS_FORBIDDEN', async () => {
    const { api } = peopleApi(() => {
      throw challengeError(403, 'Bearer error="insufficient_scope"', [
        { scheme: 'bearer', parameters: { error: 'insufficient_scope' } },
      ])
    })
    expect(await rejectionOf(api.listPage('access-token-1'))).toMatchObject({
      code: 'CONTACTS_FORBIDDEN',
      status: 403,
    })
  })
})

describe('listPage: incremental reads', () => {
  const FIELDS_AND_SIZE = [
    [
      'personFields',
      'names,nicknames,emailAddresses,phoneNumbers,addresses,organizations,birthdays,urls,biographies,relations,events,photos,memberships,metadata',
    ],
    ['pageSize', '1000'],
    ['requestSyncToken', 'true'],
  ]

  it('when a sync token is given, then it is sent with exactly the parameters of a full read, and pages after it add only the page token', async () => {
    const { api, calls } = peopleApi(({ url }) =>
      json(url.searchParams.has('pageToken') ? {} : { nextPageToken: 'page-2' }),
    )
    await api.listPage('access-token-1')
    const first = await api.listPage('access-token-1', undefined, { syncToken: 'sync+/=&1' })
    await api.listPage('access-token-1', first.next, { syncToken: 'sync+/=&1' })

    const [full, one, two] = calls.map((call) => [...call.url.searchParams])
    expect(full).toEqual(FIELDS_AND_SIZE)
    expect(one).toEqual([...FIELDS_AND_SIZE, ['syncToken', 'sync+/=&1']])
    expect(two).toEqual([...FIELDS_AND_SIZE, ['syncToken', 'sync+/=&1'], ['pageToken', 'page-2']])
  })

  it('when the answer holds tombstones, then their resourceNames are the deleted ones, not contacts', async () => {
    const { api } = peopleApi(() =>
      json({
        connections: [
          { resourceName: 'people/c1', names: [{ displayName: 'Kept' }] },
          { resourceName: 'people/c2', etag: '%e2', metadata: { deleted: true } },
          {
            resourceName: 'people/c3',
            etag: '%e3',
            metadata: { sources: [{ type: 'CONTACT', id: '3' }], deleted: true },
          },
          // Not a tombstone: only `true` is.
          {
            resourceName: 'people/c4',
            names: [{ displayName: 'Four' }],
            metadata: { deleted: 'yes' },
          },
        ],
        nextSyncToken: 'sync-2',
      }),
    )
    const page = await api.listPage('access-token-1', undefined, { syncToken: 'sync-1' })
    expect(page.contacts.map((c) => c.externalId)).toEqual(['people/c1', 'people/c4'])
    expect(page.deleted).toEqual(['people/c2', 'people/c3'])
    expect(page.skipped).toEqual([])
    expect(page.syncToken).toBe('sync-2')
  })

  it('when a tombstone has no resourceName, then it is skipped as a record without an id', async () => {
    const { api } = peopleApi(() => json({ connections: [{ metadata: { deleted: true } }] }))
    const page = await api.listPage('access-token-1', undefined, { syncToken: 'sync-1' })
    expect(page.deleted).toEqual([])
    expect(page.skipped).toEqual([{ externalId: undefined, reason: SKIP_REASONS.noId }])
  })

  it('when a person carries previousResourceNames, then each old name is relinked to the new one and the person is a contact', async () => {
    const { api } = peopleApi(() =>
      json({
        connections: [
          {
            resourceName: 'people/cNEW',
            names: [{ displayName: 'Ada' }],
            metadata: {
              previousResourceNames: ['people/cOLD', 'people/cOLDER', 'people/cNEW', '', 7],
            },
          },
        ],
      }),
    )
    const page = await api.listPage('access-token-1', undefined, { syncToken: 'sync-1' })
    expect(page.relinked).toEqual([
      { from: 'people/cOLD', to: 'people/cNEW' },
      { from: 'people/cOLDER', to: 'people/cNEW' },
    ])
    expect(page.contacts.map((c) => c.externalId)).toEqual(['people/cNEW'])
  })

  it.each([
    [
      'only a generated photo and the system group',
      {
        photos: [{ url: 'https://photos.example/tile', default: true }],
        memberships: [
          { contactGroupMembership: { contactGroupResourceName: 'contactGroups/myContacts' } },
        ],
      },
    ],
    ['empty values only', { names: [{ displayName: '' }], emailAddresses: [{ value: '' }] }],
    ['nothing but its id', {}],
  ])(
    'when a person has %s, then it is skipped with its id: nothing to keep',
    async (_what, fields) => {
      const { api } = peopleApi(() =>
        json({
          connections: [
            { resourceName: 'people/c1', ...fields },
            { resourceName: 'people/c2', biographies: [{ value: 'Just a note' }] },
          ],
        }),
      )
      const page = await api.listPage('access-token-1')
      expect(page.contacts.map((c) => c.externalId)).toEqual(['people/c2'])
      expect(page.skipped).toEqual([
        { externalId: 'people/c1', reason: SKIP_REASONS.nothingToKeep },
      ])
    },
  )

  it.each([
    [{ totalItems: 12, totalPeople: 11 }, 12],
    [{ totalPeople: 11 }, 11],
    [{ totalItems: -1 }, undefined],
    [{ totalItems: '12' }, undefined],
    [{}, undefined],
  ])('when the page says %j, then the total is %s', async (totals, total) => {
    const { api } = peopleApi(() => json(totals))
    expect((await api.listPage('access-token-1')).total).toBe(total)
  })
})

describe('listPage: an expired sync token', () => {
  const EXPIRED_MESSAGE =
    'Sync token is expired. Clear local cache and retry call without the sync token.'
  const errorInfo = {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'EXPIRED_SYNC_TOKEN',
    domain: 'people.googleapis.com',
  }

  it.each([
    [
      '400 FAILED_PRECONDITION with the reason',
      400,
      {
        error: {
          code: 400,
          message: EXPIRED_MESSAGE,
          status: 'FAILED_PRECONDITION',
          details: [errorInfo],
        },
      },
    ],
    [
      '400 INVALID_ARGUMENT with the reason',
      400,
      {
        error: {
          code: 400,
          message: 'Request contains an invalid argument.',
          status: 'INVALID_ARGUMENT',
          details: [errorInfo],
        },
      },
    ],
    ['400 with the message only', 400, { error: { code: 400, message: EXPIRED_MESSAGE } }],
    [
      '400 with the reason in the legacy errors list',
      400,
      { error: { code: 400, message: 'Bad Request', errors: [{ reason: 'EXPIRED_SYNC_TOKEN' }] } },
    ],
    ['the legacy 410', 410, { error: { code: 410, message: 'Gone' } }],
    ['a 410 without a JSON body', 410, '<html>Gone</html>'],
  ])(
    'when People answers %s, then it is SYNC_TOKEN_EXPIRED for that provider',
    async (_what, status, body) => {
      const { api } = peopleApi(() =>
        typeof body === 'string' ? new Response(body, { status }) : json(body, status),
      )
      const err = await rejectionOf(api.listPage('access-token-1', undefined, { syncToken: 'old' }))
      expect(err).toBeInstanceOf(AppError)
      expect(err).toMatchObject({ code: 'SYNC_TOKEN_EXPIRED', provider: 'demo', retryable: false })
    },
  )

  it.each([
    [
      'FAILED_PRECONDITION without the reason or the message',
      {
        error: { code: 400, message: 'Precondition check failed.', status: 'FAILED_PRECONDITION' },
      },
    ],
    [
      'INVALID_ARGUMENT without the reason',
      {
        error: {
          code: 400,
          message: 'Request contains an invalid argument.',
          status: 'INVALID_ARGUMENT',
        },
      },
    ],
    [
      'an ErrorInfo with another reason',
      { error: { code: 400, details: [{ ...errorInfo, reason: 'BAD_REQUEST' }] } },
    ],
  ])(
    'when a 400 is %s, then the status string is not trusted: CONTACTS_BAD_RESPONSE',
    async (_what, body) => {
      const { api } = peopleApi(() => json(body, 400))
      const err = await rejectionOf(api.listPage('access-token-1', undefined, { syncToken: 'old' }))
      expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE', retryable: false })
    },
  )

  it('when a full read (no sync token) gets the expired answer or a 410, then it is not taken for an expired token', async () => {
    for (const status of [400, 410]) {
      const { api } = peopleApi(() =>
        json({ error: { code: status, message: EXPIRED_MESSAGE, details: [errorInfo] } }, status),
      )
      expect(await rejectionOf(api.listPage('access-token-1'))).toMatchObject({
        code: 'CONTACTS_BAD_RESPONSE',
      })
    }
  })

  it('when an incremental read gets 429 or 401, then the shared rules apply as on any page', async () => {
    const throttled = peopleApi(() =>
      json({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } }, 429),
    )
    expect(
      await rejectionOf(throttled.api.listPage('access-token-1', undefined, { syncToken: 's' })),
    ).toMatchObject({ code: 'CONTACTS_UNAVAILABLE', retryable: true, retryAfterSeconds: undefined })
    const refused = peopleApi(() => json({ error: { code: 401 } }, 401))
    expect(
      await rejectionOf(refused.api.listPage('access-token-1', undefined, { syncToken: 's' })),
    ).toBeInstanceOf(AccessTokenRejectedError)
  })
})

describe('listGroups', () => {
  it('when groups come over two pages, then every page is read with the same parameters and each group maps to the name Google shows', async () => {
    const { api, calls } = peopleApi(({ url }) =>
      url.searchParams.get('pageToken') === 'groups-2'
        ? json({
            contactGroups: [
              {
                resourceName: 'contactGroups/abc',
                name: 'Book club',
                groupType: 'USER_CONTACT_GROUP',
              },
              { resourceName: 'contactGroups/nameless' },
              { name: 'No id' },
              null,
            ],
            totalItems: 4,
          })
        : json({
            contactGroups: [
              {
                resourceName: 'contactGroups/myContacts',
                name: 'myContacts',
                formattedName: 'My Contacts',
                groupType: 'SYSTEM_CONTACT_GROUP',
              },
            ],
            nextPageToken: 'groups-2',
          }),
    )
    const groups = await api.listGroups('access-token-1')
    expect([...groups]).toEqual([
      ['contactGroups/myContacts', 'My Contacts'],
      ['contactGroups/abc', 'Book club'],
    ])
    expect(calls.map((call) => call.accessToken)).toEqual(['access-token-1', 'access-token-1'])
    const [one, two] = calls.map((call) => call.url)
    expect(`${one?.origin}${one?.pathname}`).toBe(`${BASE}/v1/contactGroups`)
    expect([...(one?.searchParams ?? [])]).toEqual([
      ['pageSize', '1000'],
      ['groupFields', 'name,groupType'],
    ])
    expect([...(two?.searchParams ?? [])]).toEqual([
      ['pageSize', '1000'],
      ['groupFields', 'name,groupType'],
      ['pageToken', 'groups-2'],
    ])
  })

  it('when there are no groups, then the map is empty', async () => {
    const { api } = peopleApi(() => json({}))
    expect((await api.listGroups('access-token-1')).size).toBe(0)
  })

  it('when the same page token comes twice, then it is CONTACTS_BAD_RESPONSE, not a loop', async () => {
    const { api, calls } = peopleApi(() => json({ nextPageToken: 'again' }))
    expect(await rejectionOf(api.listGroups('access-token-1'))).toMatchObject({
      code: 'CONTACTS_BAD_RESPONSE',
    })
    expect(calls).toHaveLength(2)
  })

  it('when pages never end, then it stops after a bounded number of calls', async () => {
    let n = 0
    const { api, calls } = peopleApi(() => json({ nextPageToken: `page-${++n}` }))
    expect(await rejectionOf(api.listGroups('access-token-1'))).toMatchObject({
      code: 'CONTACTS_BAD_RESPONSE',
    })
    expect(calls.length).toBeLessThanOrEqual(10)
  })

  it('when the API answers 401, then AccessTokenRejectedError is thrown', async () => {
    const { api } = peopleApi(() => json({ error: { code: 401 } }, 401))
    expect(await rejectionOf(api.listGroups('expired'))).toBeInstanceOf(AccessTokenRejectedError)
  })

  it('when the API answers 429 without Retry-After, then it is CONTACTS_UNAVAILABLE, retryable, with no wait given', async () => {
    const { api } = peopleApi(() => json({ error: { code: 429 } }, 429))
    expect(await rejectionOf(api.listGroups('access-token-1'))).toMatchObject({
      code: 'CONTACTS_UNAVAILABLE',
      retryable: true,
      retryAfterSeconds: undefined,
    })
  })

  it('when the body is not JSON or larger than any group list, then it is CONTACTS_BAD_RESPONSE', async () => {
    const garbled = peopleApi(() => new Response('<html>', { status: 200 }))
    expect(await rejectionOf(garbled.api.listGroups('access-token-1'))).toMatchObject({
      code: 'CONTACTS_BAD_RESPONSE',
    })
    const huge = peopleApi(
      () => new Response('{}', { headers: { 'content-length': String(64 * 1024 * 1024) } }),
    )
    expect(await rejectionOf(huge.api.listGroups('access-token-1'))).toMatchObject({
      code: 'CONTACTS_BAD_RESPONSE',
    })
  })
})
