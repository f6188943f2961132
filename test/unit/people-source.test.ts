// The Google People API v1 adapter: payload → Contact mapping, the request it builds, and
// how each upstream failure is turned into something the person can act on. What every
// adapter must do alike is in the contract suite (test/contract/); this is People's own.
import { describe, expect, it } from 'vitest'
import { displayName } from '../../src/contacts/contact.ts'
import type { ContactSource } from '../../src/contacts/contact-source.ts'
import { createContactSource } from '../../src/contacts/create-contact-source.ts'
import { AccessTokenRejectedError } from '../../src/contacts/source-errors.ts'
import { toContact } from '../../src/contacts/sources/people.ts'
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

describe('toContact', () => {
  it('when a person has several names, emails, phones and organizations, then the primary ones come first', () => {
    const contact = toContact({
      resourceName: 'people/c1',
      etag: '%EgUBAi43PRoEAQIFByIMbW9kZWw=',
      names: [
        { displayName: 'Liz Smith', givenName: 'Liz', familyName: 'Smith' },
        {
          displayName: 'Elizabeth Smith',
          givenName: 'Elizabeth',
          familyName: 'Smith',
          metadata: { primary: true },
        },
      ],
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
      organizations: [{ name: 'Old Corp' }, { name: 'Acme GmbH', metadata: { primary: true } }],
    })

    expect(contact).toEqual({
      externalId: 'people/c1',
      etag: '%EgUBAi43PRoEAQIFByIMbW9kZWw=',
      name: { display: 'Elizabeth Smith', given: 'Elizabeth', family: 'Smith' },
      emails: [
        { address: 'liz@home.example', type: 'home', primary: true },
        { address: 'liz@work.example', type: 'work', primary: false },
      ],
      phones: [
        { value: '+49 170 1234567', e164: '+491701234567', type: 'mobile', primary: true },
        { value: '030 1234567', e164: undefined, type: 'work', primary: false },
      ],
      organization: 'Acme GmbH',
    })
  })

  it('when a person has only a resourceName (proto3 leaves empty lists out), then the contact has empty fields', () => {
    expect(toContact({ resourceName: 'people/c2' })).toEqual({
      externalId: 'people/c2',
      etag: undefined,
      name: { display: undefined, given: undefined, family: undefined },
      emails: [],
      phones: [],
      organization: undefined,
    })
  })

  it('when a person has no usable resourceName, then there is no contact', () => {
    expect(toContact({ names: [{ displayName: 'Nobody' }] })).toBeUndefined()
    expect(toContact({ resourceName: '' })).toBeUndefined()
    expect(toContact({ resourceName: 42 })).toBeUndefined()
  })
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
      ['personFields', 'names,emailAddresses,phoneNumbers,organizations,metadata'],
      ['pageSize', '1000'],
    ])
  })

  it('when a later page is read, then the page token is sent encoded as the last parameter', async () => {
    const { api, calls } = peopleApi(() => json({}))
    await api.listPage('access-token-1', { token: 'tok+/=&x' })

    const params = [...(calls[0]?.url.searchParams ?? [])]
    expect(params.map(([key]) => key)).toEqual(['personFields', 'pageSize', 'pageToken'])
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
    expect(page.next).toEqual({ token: 'page-2' })
  })

  it('when the body is an empty object, then there are no contacts and no next page', async () => {
    const { api } = peopleApi(() => json({}))
    expect(await api.listPage('access-token-1')).toEqual({
      contacts: [],
      next: undefined,
    })
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
