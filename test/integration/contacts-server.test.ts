// The demo contacts RS: People API v1 connections.list behind RFC 9068 JWT access tokens.
// Negative cases follow oauth-client-security.md §8.4; the API shape follows contacts-apis.md §7.
import { Buffer } from 'node:buffer'
import type { Express } from 'express'
import type { CryptoKey, JWK, JWTHeaderParameters, JWTPayload, JWTVerifyGetKey } from 'jose'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  SignJWT,
} from 'jose'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ContactsServerOptions } from '../../demo/contacts-server.ts'
import { createContactsServer } from '../../demo/contacts-server.ts'
import { freePort } from '../../demo/redis-server.ts'
import type { PeopleBySubject, Person } from '../../demo/seed.ts'
import { createDemoDirectory, DEMO_CONTACT_COUNTS } from '../../demo/seed.ts'

const ISSUER = 'http://localhost:4000'
const AUDIENCE = 'http://localhost:4001/'
const CLIENT_ID = 'contacts-importer'
const KID = 'demo-as-key-1'
const CONNECTIONS = '/v1/people/me/connections'

const CHALLENGE = 'Bearer realm="contacts"'
const INVALID_REQUEST =
  'Bearer realm="contacts", error="invalid_request", error_description="Malformed or duplicated credentials"'
const INVALID_TOKEN =
  'Bearer realm="contacts", error="invalid_token", error_description="The access token is invalid or expired"'
const INSUFFICIENT_SCOPE =
  'Bearer realm="contacts", error="insufficient_scope", scope="contacts.read"'

const INVALID_CREDENTIALS_BODY = {
  error: {
    code: 401,
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    status: 'UNAUTHENTICATED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCESS_TOKEN_EXPIRED',
        domain: 'googleapis.com',
        metadata: {
          service: 'people.googleapis.com',
          method: 'google.people.v1.PeopleService.ListConnections',
        },
      },
    ],
  },
}
const SCOPE_INSUFFICIENT_BODY = {
  error: {
    code: 403,
    message: 'Request had insufficient authentication scopes.',
    status: 'PERMISSION_DENIED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
        domain: 'googleapis.com',
        metadata: {
          service: 'people.googleapis.com',
          method: 'google.people.v1.PeopleService.ListConnections',
        },
      },
    ],
  },
}
const UNAVAILABLE_BODY = {
  error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' },
}
const INVALID_ARGUMENT_BODY = {
  error: {
    code: 400,
    message: 'Request contains an invalid argument.',
    status: 'INVALID_ARGUMENT',
  },
}
const PERSON_FIELDS_REQUIRED_BODY = {
  error: {
    code: 400,
    message:
      'personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list.',
    status: 'INVALID_ARGUMENT',
  },
}

interface ListResponse {
  connections?: Array<Partial<Person>>
  nextPageToken?: string
  nextSyncToken?: string
  totalItems?: number
  totalPeople?: number
}

let signingKey: CryptoKey
let foreignKey: CryptoKey
let keys: JWTVerifyGetKey
let directory: PeopleBySubject

beforeAll(async () => {
  const pair = await generateKeyPair('RS256')
  signingKey = pair.privateKey
  foreignKey = (await generateKeyPair('RS256')).privateKey
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }
  keys = createLocalJWKSet({ keys: [jwk] })
  directory = createDemoDirectory()
})

function serve(overrides: Partial<ContactsServerOptions> = {}) {
  return createContactsServer({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys,
    people: directory,
    ...overrides,
  })
}

interface MintOptions {
  claims?: JWTPayload
  omit?: readonly string[]
  header?: Partial<JWTHeaderParameters>
  key?: CryptoKey
}

async function mint(options: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const claims: JWTPayload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    client_id: CLIENT_ID,
    jti: crypto.randomUUID(),
    scope: 'openid contacts.read',
    iat: now,
    exp: now + 300,
    ...options.claims,
  }
  for (const claim of options.omit ?? []) delete claims[claim]
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: KID, ...options.header })
    .sign(options.key ?? signingKey)
}

function list(app: Express) {
  return (query: string, token?: string) => {
    const req = request(app).get(`${CONNECTIONS}${query}`)
    return token === undefined ? req : req.set('Authorization', `Bearer ${token}`)
  }
}

describe('contacts server: listing connections', () => {
  it('when alice lists with pageSize 1000, then she gets all her contacts on one page with totals', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names,emailAddresses&pageSize=1000', await mint())
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['x-powered-by']).toBeUndefined()
    const body = res.body as ListResponse
    expect(body.connections).toHaveLength(DEMO_CONTACT_COUNTS.alice)
    expect(body.nextPageToken).toBeUndefined()
    expect(body.totalItems).toBe(DEMO_CONTACT_COUNTS.alice)
    expect(body.totalPeople).toBe(DEMO_CONTACT_COUNTS.alice)
    expect(body.connections?.map((person) => person.resourceName)).toEqual(
      directory.get('alice')?.map((person) => person.resourceName),
    )
  })

  it('when no pageSize is given, then a page holds 100 contacts and a next page token', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(200)
    expect(res.body.connections).toHaveLength(100)
    expect(typeof res.body.nextPageToken).toBe('string')
    expect(res.body.totalItems).toBe(DEMO_CONTACT_COUNTS.alice)
  })

  it('when pageSize is 0, then the default of 100 applies', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names&pageSize=0', await mint())
    expect(res.status).toBe(200)
    expect(res.body.connections).toHaveLength(100)
  })

  it('when bob, who has no contacts, lists, then the body is empty (proto3 leaves out empty values)', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names', await mint({ claims: { sub: 'bob' } }))
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
  })

  it('when an unknown subject lists, then the body is empty', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names', await mint({ claims: { sub: 'mallory' } }))
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
  })

  it('when carol pages with pageSize 1000, then 3 requests return every contact exactly once', async () => {
    const { app, requests } = serve()
    const token = await mint({ claims: { sub: 'carol' } })
    const seen: string[] = []
    const pageSizes: number[] = []
    let pageToken: string | undefined
    let calls = 0
    do {
      const query = `?personFields=names,metadata&pageSize=1000${pageToken ? `&pageToken=${pageToken}` : ''}`
      const res = await list(app)(query, token)
      calls += 1
      expect(res.status).toBe(200)
      const body = res.body as ListResponse
      expect(body.totalItems).toBe(DEMO_CONTACT_COUNTS.carol)
      expect(body.totalPeople).toBe(DEMO_CONTACT_COUNTS.carol)
      pageSizes.push(body.connections?.length ?? 0)
      seen.push(...(body.connections ?? []).map((person) => person.resourceName ?? ''))
      pageToken = body.nextPageToken
    } while (pageToken && calls < 10)
    expect(calls).toBe(3)
    expect(pageSizes).toEqual([1000, 1000, DEMO_CONTACT_COUNTS.carol - 2000])
    expect(new Set(seen).size).toBe(DEMO_CONTACT_COUNTS.carol)
    expect(seen).toEqual(directory.get('carol')?.map((person) => person.resourceName))
    expect(requests.map((entry) => [entry.sub, entry.status])).toEqual([
      ['carol', 200],
      ['carol', 200],
      ['carol', 200],
    ])
  })

  it('when the page size changes between pages, then paging continues from the token', async () => {
    const { app } = serve()
    const token = await mint()
    const first = await list(app)('?personFields=names&pageSize=100', token)
    const second = await list(app)(
      `?personFields=names&pageSize=200&pageToken=${first.body.nextPageToken}`,
      token,
    )
    expect(second.status).toBe(200)
    expect(second.body.connections).toHaveLength(DEMO_CONTACT_COUNTS.alice - 100)
    expect(second.body.connections[0].resourceName).toBe(
      directory.get('alice')?.[100]?.resourceName,
    )
    expect(second.body.nextPageToken).toBeUndefined()
  })

  it('when a valid sortOrder and sources are given, then the request succeeds', async () => {
    const { app } = serve()
    const res = await list(app)(
      '?personFields=names&sortOrder=LAST_NAME_ASCENDING&sources=READ_SOURCE_TYPE_CONTACT&sources=READ_SOURCE_TYPE_PROFILE',
      await mint(),
    )
    expect(res.status).toBe(200)
    expect(res.body.totalItems).toBe(DEMO_CONTACT_COUNTS.alice)
  })
})

describe('contacts server: requestSyncToken', () => {
  it('when carol pages with requestSyncToken=true, then only the last page carries a nextSyncToken', async () => {
    const { app } = serve()
    const token = await mint({ claims: { sub: 'carol' } })
    const query = '?personFields=names&pageSize=1000&requestSyncToken=true'
    const bodies: ListResponse[] = []
    let pageToken: string | undefined
    do {
      const res = await list(app)(`${query}${pageToken ? `&pageToken=${pageToken}` : ''}`, token)
      expect(res.status).toBe(200)
      bodies.push(res.body as ListResponse)
      pageToken = (res.body as ListResponse).nextPageToken
    } while (pageToken && bodies.length < 10)
    expect(bodies).toHaveLength(3)
    expect(bodies.map((body) => typeof body.nextSyncToken)).toEqual([
      'undefined',
      'undefined',
      'string',
    ])
  })

  it('when requestSyncToken is absent or false, then no nextSyncToken is given', async () => {
    const { app } = serve()
    for (const flag of ['', '&requestSyncToken=false']) {
      const res = await list(app)(`?personFields=names&pageSize=1000${flag}`, await mint())
      expect(res.status).toBe(200)
      expect(res.body.nextSyncToken).toBeUndefined()
    }
  })

  it('when bob, who has no contacts, asks for a sync token, then the body holds only the token', async () => {
    const { app } = serve()
    const res = await list(app)(
      '?personFields=names&requestSyncToken=true',
      await mint({ claims: { sub: 'bob' } }),
    )
    expect(Object.keys(res.body)).toEqual(['nextSyncToken'])
  })

  it('when requestSyncToken is not a bool, then 400 INVALID_ARGUMENT', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names&requestSyncToken=yes', await mint())
    expect(res.status).toBe(400)
    expect(res.body.error.status).toBe('INVALID_ARGUMENT')
  })

  it('when requestSyncToken changes between pages, then the page token is refused (it is bound to the query)', async () => {
    const { app } = serve()
    const token = await mint()
    const first = await list(app)('?personFields=names&pageSize=100&requestSyncToken=true', token)
    const second = await list(app)(
      `?personFields=names&pageSize=100&pageToken=${first.body.nextPageToken}`,
      token,
    )
    expect(second.status).toBe(400)
    expect(second.body.error.status).toBe('INVALID_ARGUMENT')
  })
})

describe('contacts server: projection', () => {
  it('when only names are requested, then each person has resourceName, etag and names only', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names&pageSize=1000', await mint())
    const people = directory.get('alice') ?? []
    const connections = res.body.connections as Array<Partial<Person>>
    connections.forEach((person, index) => {
      const seeded = people[index]
      const expected = { resourceName: seeded?.resourceName, etag: seeded?.etag }
      expect(person).toEqual(seeded?.names ? { ...expected, names: seeded.names } : expected)
    })
    expect(connections.some((person) => person.names === undefined)).toBe(true)
    expect(connections.some((person) => 'metadata' in person)).toBe(false)
  })

  it('when metadata and phoneNumbers are requested, then metadata comes with every person', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=metadata,phoneNumbers&pageSize=1000', await mint())
    const connections = res.body.connections as Array<Partial<Person>>
    for (const person of connections) {
      expect(Object.keys(person).sort()).toEqual(
        [
          'etag',
          'metadata',
          'resourceName',
          ...(person.phoneNumbers ? ['phoneNumbers'] : []),
        ].sort(),
      )
      expect(person.metadata?.sources[0]?.type).toBe('CONTACT')
    }
  })

  it('when birthdays are requested, then they come with the people who have one, with or without a year', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=birthdays&pageSize=1000', await mint())
    expect(res.status).toBe(200)
    const connections = res.body.connections as Array<Partial<Person>>
    const dates = connections.flatMap((person) => person.birthdays ?? []).map((b) => b.date)
    expect(dates.some((date) => date.year !== undefined)).toBe(true)
    expect(dates.some((date) => date.year === undefined)).toBe(true)
    for (const person of connections)
      expect(Object.keys(person)).toEqual(
        person.birthdays ? ['resourceName', 'etag', 'birthdays'] : ['resourceName', 'etag'],
      )
  })

  it('when a valid field the demo data never has is requested, then it is simply absent', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=skills&pageSize=3', await mint())
    expect(res.status).toBe(200)
    for (const person of res.body.connections)
      expect(Object.keys(person)).toEqual(['resourceName', 'etag'])
  })
  it('when a stored person has an empty field, then the field is left out (proto3 JSON)', async () => {
    const person: Person = {
      resourceName: 'people/c1',
      etag: '%e1',
      emailAddresses: [],
      phoneNumbers: [],
    }
    const { app } = serve({ people: new Map([['alice', [person]]]) })
    const res = await list(app)('?personFields=emailAddresses,phoneNumbers', await mint())
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      connections: [{ resourceName: 'people/c1', etag: '%e1' }],
      totalPeople: 1,
      totalItems: 1,
    })
  })
})

describe('contacts server: request validation', () => {
  it('when personFields is missing, then 400 INVALID_ARGUMENT says the mask is required', async () => {
    const { app } = serve()
    const res = await list(app)('', await mint())
    expect(res.status).toBe(400)
    expect(res.body).toEqual(PERSON_FIELDS_REQUIRED_BODY)
  })

  it('when personFields is empty, then 400 INVALID_ARGUMENT says the mask is required', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=', await mint())
    expect(res.status).toBe(400)
    expect(res.body).toEqual(PERSON_FIELDS_REQUIRED_BODY)
  })

  it('when personFields names an unknown path, then 400 names that path', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names,x', await mint())
    expect(res.status).toBe(400)
    expect(res.body).toEqual({
      error: {
        code: 400,
        message: 'Invalid personFields mask path: "x".',
        status: 'INVALID_ARGUMENT',
      },
    })
  })

  it.each(['1001', '-1', 'abc', '1.5', '1e3'])(
    'when pageSize is %s, then 400 INVALID_ARGUMENT',
    async (pageSize) => {
      const { app } = serve()
      const res = await list(app)(`?personFields=names&pageSize=${pageSize}`, await mint())
      expect(res.status).toBe(400)
      expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
    },
  )

  it('when sortOrder is not one of the four values, then 400 INVALID_ARGUMENT', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names&sortOrder=RANDOM', await mint())
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it('when sources holds an unknown value, then 400 INVALID_ARGUMENT', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names&sources=READ_SOURCE_TYPE_NOPE', await mint())
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it('when the resource is not people/me, then 400 INVALID_ARGUMENT', async () => {
    const { app } = serve()
    const res = await request(app)
      .get('/v1/people/c123/connections?personFields=names')
      .set('Authorization', `Bearer ${await mint()}`)
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it('when an unknown route is called, then 404 NOT_FOUND in Google style', async () => {
    const { app } = serve()
    const res = await request(app)
      .get('/v1/people/me')
      .set('Authorization', `Bearer ${await mint()}`)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({
      error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
    })
  })

  it('when connections are POSTed to, then 404', async () => {
    const { app } = serve()
    const res = await request(app)
      .post(`${CONNECTIONS}?personFields=names`)
      .set('Authorization', `Bearer ${await mint()}`)
    expect(res.status).toBe(404)
  })
})

describe('contacts server: page tokens', () => {
  async function firstPage(app: Express, token: string): Promise<string> {
    const res = await list(app)(
      '?personFields=names&pageSize=10&sortOrder=LAST_MODIFIED_ASCENDING',
      token,
    )
    expect(typeof res.body.nextPageToken).toBe('string')
    return res.body.nextPageToken as string
  }

  it('when a page token is tampered with, then 400 INVALID_ARGUMENT', async () => {
    const { app } = serve()
    const token = await mint()
    const pageToken = await firstPage(app, token)
    const middle = Math.floor(pageToken.length / 2)
    const flipped = pageToken[middle] === 'A' ? 'B' : 'A'
    const tampered = `${pageToken.slice(0, middle)}${flipped}${pageToken.slice(middle + 1)}`
    const res = await list(app)(
      `?personFields=names&pageSize=10&sortOrder=LAST_MODIFIED_ASCENDING&pageToken=${tampered}`,
      token,
    )
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it('when the position in a page token is rewritten without the key, then 400 INVALID_ARGUMENT', async () => {
    const { app } = serve()
    const token = await mint()
    const raw = Buffer.from(await firstPage(app, token), 'base64url')
    const forged = Buffer.from(
      raw.toString('latin1').replace(/"o":(\d+)/, (_, n) => `"o":${Number(n) + 10}`),
      'latin1',
    )
    expect(forged.equals(raw)).toBe(false)
    const res = await list(app)(
      `?personFields=names&pageSize=10&sortOrder=LAST_MODIFIED_ASCENDING&pageToken=${forged.toString('base64url')}`,
      token,
    )
    expect(res.status).toBe(400)
  })

  it('when a page token from another server (another key) is sent, then 400 INVALID_ARGUMENT', async () => {
    const token = await mint()
    const foreign = await firstPage(serve().app, token)
    const res = await list(serve().app)(
      `?personFields=names&pageSize=10&sortOrder=LAST_MODIFIED_ASCENDING&pageToken=${foreign}`,
      token,
    )
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it('when a page token is garbage, then 400 INVALID_ARGUMENT', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names&pageToken=not-a-real-token', await mint())
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it.each([
    [
      'personFields',
      '?personFields=names,emailAddresses&pageSize=10&sortOrder=LAST_MODIFIED_ASCENDING',
    ],
    ['sortOrder', '?personFields=names&pageSize=10&sortOrder=FIRST_NAME_ASCENDING'],
    ['sortOrder left out', '?personFields=names&pageSize=10'],
    [
      'sources',
      '?personFields=names&pageSize=10&sortOrder=LAST_MODIFIED_ASCENDING&sources=READ_SOURCE_TYPE_CONTACT',
    ],
  ])(
    'when %s differs from the first call, then the page token is refused',
    async (_what, query) => {
      const { app } = serve()
      const token = await mint()
      const pageToken = await firstPage(app, token)
      const res = await list(app)(`${query}&pageToken=${pageToken}`, token)
      expect(res.status).toBe(400)
      expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
    },
  )

  it("when carol sends alice's page token, then it is refused", async () => {
    const { app } = serve()
    const pageToken = await firstPage(app, await mint())
    const res = await list(app)(
      `?personFields=names&pageSize=10&sortOrder=LAST_MODIFIED_ASCENDING&pageToken=${pageToken}`,
      await mint({ claims: { sub: 'carol' } }),
    )
    expect(res.status).toBe(400)
  })
})

describe('contacts server: bearer token validation (oauth-client-security.md §8.4)', () => {
  it('when there is no Authorization header, then 401 with exactly Bearer realm="contacts"', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(CHALLENGE)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body.error.status).toBe('UNAUTHENTICATED')
    expect(res.body.error.details[0].reason).toBe('CREDENTIALS_MISSING')
  })

  it('when the Basic scheme is used, then 401 with a Bearer challenge and no error code', async () => {
    const { app } = serve()
    const res = await request(app)
      .get(`${CONNECTIONS}?personFields=names`)
      .set('Authorization', `Basic ${Buffer.from('alice:secret').toString('base64')}`)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(CHALLENGE)
  })

  it('when the scheme is written in lower case, then the token is accepted', async () => {
    const { app } = serve()
    const res = await request(app)
      .get(`${CONNECTIONS}?personFields=names&pageSize=1`)
      .set('Authorization', `bearer ${await mint()}`)
    expect(res.status).toBe(200)
  })

  it('when Bearer comes without a token, then 400 invalid_request', async () => {
    const { app } = serve()
    const res = await request(app)
      .get(`${CONNECTIONS}?personFields=names`)
      .set('Authorization', 'Bearer')
    expect(res.status).toBe(400)
    expect(res.headers['www-authenticate']).toBe(INVALID_REQUEST)
    expect(res.body).toEqual({
      error: {
        code: 400,
        message: 'Malformed or duplicated credentials.',
        status: 'INVALID_ARGUMENT',
      },
    })
  })

  it('when the Bearer credential has two tokens, then 400 invalid_request', async () => {
    const { app } = serve()
    const token = await mint()
    const res = await request(app)
      .get(`${CONNECTIONS}?personFields=names`)
      .set('Authorization', `Bearer ${token} ${token}`)
    expect(res.status).toBe(400)
    expect(res.headers['www-authenticate']).toBe(INVALID_REQUEST)
  })

  it('when a valid token is sent only as ?access_token=, then 400 invalid_request and the log redacts it', async () => {
    const { app, requests } = serve()
    const token = await mint()
    const res = await list(app)(`?personFields=names&access_token=${token}`)
    expect(res.status).toBe(400)
    expect(res.headers['www-authenticate']).toBe(INVALID_REQUEST)
    expect(requests).toHaveLength(1)
    expect(requests[0]?.query.access_token).toBe('[redacted]')
    expect(JSON.stringify(requests)).not.toContain(token)
  })

  it('when a token is sent in the header and in the query, then 400 invalid_request', async () => {
    const { app } = serve()
    const token = await mint()
    const res = await list(app)(`?personFields=names&access_token=${token}`, token)
    expect(res.status).toBe(400)
    expect(res.headers['www-authenticate']).toBe(INVALID_REQUEST)
  })

  it('when a token is sent in a form body, then 400 invalid_request', async () => {
    const { app } = serve()
    const res = await request(app)
      .get(`${CONNECTIONS}?personFields=names`)
      .type('form')
      .send({ access_token: await mint() })
    expect(res.status).toBe(400)
    expect(res.headers['www-authenticate']).toBe(INVALID_REQUEST)
  })

  it('when the token expired beyond the clock tolerance, then 401 invalid_token', async () => {
    const { app } = serve()
    const now = Math.floor(Date.now() / 1000)
    const res = await list(app)(
      '?personFields=names',
      await mint({ claims: { iat: now - 600, exp: now - 60 } }),
    )
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
    expect(res.body).toEqual(INVALID_CREDENTIALS_BODY)
  })

  it('when the token expired within the 5 s clock tolerance, then it is still accepted', async () => {
    const { app } = serve()
    const now = Math.floor(Date.now() / 1000)
    const res = await list(app)(
      '?personFields=names&pageSize=1',
      await mint({ claims: { iat: now - 600, exp: now - 1 } }),
    )
    expect(res.status).toBe(200)
  })

  it('when the token was minted for another resource (aud), then 401 invalid_token', async () => {
    const { app } = serve()
    const res = await list(app)(
      '?personFields=names',
      await mint({ claims: { aud: 'http://localhost:4002/' } }),
    )
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when aud differs only by the trailing slash, then 401 invalid_token', async () => {
    const { app } = serve()
    const res = await list(app)(
      '?personFields=names',
      await mint({ claims: { aud: 'http://localhost:4001' } }),
    )
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when iss is wrong and the token is forged with a foreign key, then 401 invalid_token', async () => {
    const { app } = serve()
    const token = await mint({ claims: { iss: 'https://evil.example' }, key: foreignKey })
    const res = await list(app)('?personFields=names', token)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when only iss is wrong (signed by the real key), then 401 invalid_token', async () => {
    const { app } = serve()
    const res = await list(app)(
      '?personFields=names',
      await mint({ claims: { iss: 'http://localhost:4000/' } }),
    )
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when a foreign key signs a token under the real kid, then 401 invalid_token', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names', await mint({ key: foreignKey }))
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when the kid matches no key in the JWKS, then 401 invalid_token', async () => {
    const { app } = serve()
    const res = await list(app)(
      '?personFields=names',
      await mint({ header: { kid: 'unknown' }, key: foreignKey }),
    )
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when the payload is altered after signing (sub swapped), then 401 invalid_token', async () => {
    const { app } = serve()
    const [header, payload, signature] = (await mint()).split('.')
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'))
    const swapped = Buffer.from(JSON.stringify({ ...claims, sub: 'carol' })).toString('base64url')
    const res = await list(app)('?personFields=names', `${header}.${swapped}.${signature}`)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when typ is JWT instead of at+jwt, then 401 invalid_token', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names', await mint({ header: { typ: 'JWT' } }))
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when typ is application/at+jwt, then the token is accepted (RFC 9068 §2.1)', async () => {
    const { app } = serve()
    const res = await list(app)(
      '?personFields=names&pageSize=1',
      await mint({ header: { typ: 'application/at+jwt' } }),
    )
    expect(res.status).toBe(200)
  })

  it('when an ID-token-like JWT (typ JWT, aud = client id) is presented, then 401 invalid_token', async () => {
    const { app } = serve()
    const idToken = await mint({
      header: { typ: 'JWT' },
      claims: {
        aud: CLIENT_ID,
        azp: CLIENT_ID,
        nonce: 'n-0S6_WzA2Mj',
        auth_time: Math.floor(Date.now() / 1000),
      },
    })
    const res = await list(app)('?personFields=names', idToken)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when alg is none, then 401 invalid_token', async () => {
    const { app } = serve()
    const now = Math.floor(Date.now() / 1000)
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'alice',
      client_id: CLIENT_ID,
      jti: 'j1',
      scope: 'contacts.read',
      iat: now,
      exp: now + 300,
    })}.`
    const res = await list(app)('?personFields=names', unsigned)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when the token is not a JWT at all, then 401 invalid_token', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names', 'ya29.a0AfH6SMBopaque')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when a DPoP-bound token (cnf.jkt) is sent as Bearer, then 401 invalid_token', async () => {
    const { app } = serve()
    const token = await mint({
      claims: { cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } },
    })
    const res = await list(app)('?personFields=names', token)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
  })

  it('when an mTLS-bound token (cnf x5t#S256) is sent as Bearer, then 401 invalid_token', async () => {
    const { app } = serve()
    const token = await mint({
      claims: { cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } },
    })
    const res = await list(app)('?personFields=names', token)
    expect(res.status).toBe(401)
  })

  it.each(['exp', 'iat', 'sub', 'client_id', 'jti', 'iss', 'aud'])(
    'when the %s claim is missing, then 401 invalid_token',
    async (claim) => {
      const { app } = serve()
      const res = await list(app)('?personFields=names', await mint({ omit: [claim] }))
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
    },
  )

  it('when the token lacks contacts.read, then 403 insufficient_scope naming contacts.read', async () => {
    const { app, requests } = serve()
    const res = await list(app)(
      '?personFields=names',
      await mint({ claims: { scope: 'openid profile contacts.readonly' } }),
    )
    expect(res.status).toBe(403)
    expect(res.headers['www-authenticate']).toBe(INSUFFICIENT_SCOPE)
    expect(res.body).toEqual(SCOPE_INSUFFICIENT_BODY)
    expect(requests[0]?.sub).toBeUndefined()
  })

  it('when the token has no scope claim, then 403 insufficient_scope', async () => {
    const { app } = serve()
    const res = await list(app)('?personFields=names', await mint({ omit: ['scope'] }))
    expect(res.status).toBe(403)
    expect(res.headers['www-authenticate']).toBe(INSUFFICIENT_SCOPE)
  })

  it('when another required scope is configured, then the challenge names it', async () => {
    const { app } = serve({ requiredScope: 'contacts:read' })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(403)
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="contacts", error="insufficient_scope", scope="contacts:read"',
    )
  })

  it('when any challenge is sent, then error_description holds no quote or backslash (RFC 6750 §3)', async () => {
    const { app } = serve()
    const now = Math.floor(Date.now() / 1000)
    const responses = await Promise.all([
      list(app)('?personFields=names'),
      list(app)('?personFields=names', 'a.b.c'),
      list(app)(
        '?personFields=names',
        await mint({ claims: { exp: now - 3600, iat: now - 7200 } }),
      ),
      list(app)('?personFields=names', await mint({ key: foreignKey })),
      list(app)('?personFields=names', await mint({ header: { typ: 'JWT' } })),
      list(app)('?personFields=names', await mint({ claims: { scope: 'openid' } })),
      request(app).get(`${CONNECTIONS}?personFields=names`).set('Authorization', 'Bearer'),
    ])
    // auth-param values are quoted-strings restricted to %x20-21 / %x23-5B / %x5D-7E.
    const wellFormed = /^Bearer realm="contacts"(, [a-z_]+="[\x20\x21\x23-\x5B\x5D-\x7E]*")*$/
    for (const res of responses) {
      expect(res.headers['www-authenticate']).toMatch(wellFormed)
    }
    expect(responses.map((res) => res.status)).toEqual([401, 401, 401, 401, 401, 403, 400])
  })
})

describe('contacts server: key set failures', () => {
  it('when the JWKS fetch times out, then 503 UNAVAILABLE and no Bearer challenge', async () => {
    const { app } = serve({
      keys: async () => {
        throw new errors.JWKSTimeout()
      },
    })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(503)
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.body).toEqual(UNAVAILABLE_BODY)
  })

  it('when fetching the JWKS fails with a network TypeError, then 503 UNAVAILABLE', async () => {
    const { app } = serve({
      keys: async () => {
        throw new TypeError('fetch failed')
      },
    })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(503)
    expect(res.body).toEqual(UNAVAILABLE_BODY)
  })

  it('when the remote JWKS endpoint refuses connections, then 503 UNAVAILABLE', async () => {
    const port = await freePort()
    const { app } = serve({
      keys: createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/jwks`), { timeoutDuration: 2000 }),
    })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(503)
    expect(res.body).toEqual(UNAVAILABLE_BODY)
  })
})

describe('contacts server: fault injection', () => {
  it('when a 503 is queued, then it answers once with the Google body and service resumes', async () => {
    const { app, faults, requests } = serve()
    faults.add({ status: 503 })
    const token = await mint()
    const failed = await list(app)('?personFields=names&pageSize=1', token)
    expect(failed.status).toBe(503)
    expect(failed.body).toEqual(UNAVAILABLE_BODY)
    const resumed = await list(app)('?personFields=names&pageSize=1', token)
    expect(resumed.status).toBe(200)
    expect(resumed.body.connections).toHaveLength(1)
    expect(requests.map((entry) => [entry.sub, entry.status])).toEqual([
      ['alice', 503],
      ['alice', 200],
    ])
  })

  it('when a 500 is queued twice, then two requests fail with INTERNAL', async () => {
    const { app, faults } = serve()
    faults.add({ status: 500, times: 2 })
    const token = await mint()
    const statuses: number[] = []
    for (let n = 0; n < 3; n += 1)
      statuses.push((await list(app)('?personFields=names&pageSize=1', token)).status)
    expect(statuses).toEqual([500, 500, 200])
    faults.add({ status: 500 })
    expect((await list(app)('?personFields=names&pageSize=1', token)).body).toEqual({
      error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' },
    })
  })

  it('when a 401 is queued, then a valid token gets the invalid_token challenge and Google body', async () => {
    const { app, faults } = serve()
    faults.add({ status: 401 })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN)
    expect(res.body).toEqual(INVALID_CREDENTIALS_BODY)
  })

  it('when a 403 is queued, then the insufficient_scope challenge and PERMISSION_DENIED body come back', async () => {
    const { app, faults } = serve()
    faults.add({ status: 403 })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(403)
    expect(res.headers['www-authenticate']).toBe(INSUFFICIENT_SCOPE)
    expect(res.body).toEqual(SCOPE_INSUFFICIENT_BODY)
  })

  it('when a fault carries its own body and headers, then exactly those are sent', async () => {
    const { app, faults } = serve()
    const body = {
      error: {
        code: 429,
        message: 'Resource has been exhausted (e.g. check quota).',
        status: 'RESOURCE_EXHAUSTED',
      },
    }
    faults.add({ status: 429, body, headers: { 'Retry-After': '2' } })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(429)
    expect(res.headers['retry-after']).toBe('2')
    expect(res.body).toEqual(body)
  })

  it('when a fault is queued, then a request that fails authentication does not consume it', async () => {
    const { app, faults } = serve()
    faults.add({ status: 503 })
    expect((await list(app)('?personFields=names')).status).toBe(401)
    expect((await list(app)('?personFields=names', await mint())).status).toBe(503)
  })

  it('when a beforeAuth fault is queued, then it answers even without a token', async () => {
    const { app, faults, requests } = serve()
    faults.add({
      status: 502,
      beforeAuth: true,
      body: '<html>Bad gateway</html>',
      headers: { 'Content-Type': 'text/html' },
    })
    const res = await list(app)('?personFields=names')
    expect(res.status).toBe(502)
    expect(res.text).toBe('<html>Bad gateway</html>')
    expect(requests[0]).toEqual({
      method: 'GET',
      path: CONNECTIONS,
      query: { personFields: 'names' },
      hadAuthorizationHeader: false,
      status: 502,
    })
  })

  it('when a fault has delayMs, then the answer waits at least that long', async () => {
    const { app, faults } = serve()
    faults.add({ status: 503, delayMs: 150 })
    const started = Date.now()
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(503)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('when faults are cleared, then normal service resumes at once', async () => {
    const { app, faults } = serve()
    faults.add({ status: 503, times: 5 })
    faults.clear()
    expect((await list(app)('?personFields=names&pageSize=1', await mint())).status).toBe(200)
  })

  it('when a fault has an impossible status, then add() throws a TypeError', () => {
    const { faults } = serve()
    expect(() => faults.add({ status: 42 })).toThrow(TypeError)
    expect(() => faults.add({ status: 503, times: 0 })).toThrow(TypeError)
    expect(() => faults.add({})).toThrow(TypeError)
    expect(() => faults.add({ status: 503, after: -1 })).toThrow(TypeError)
    expect(() => faults.add({ status: 429, retryAfterSeconds: 1.5 })).toThrow(TypeError)
    expect(() => faults.add({ status: 503, route: 'token' as 'connections' })).toThrow(TypeError)
  })

  it('when a 429 is queued, then RESOURCE_EXHAUSTED comes without Retry-After, as Google sends it', async () => {
    const { app, faults } = serve()
    faults.add({ status: 429 })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(429)
    expect(res.headers['retry-after']).toBeUndefined()
    expect(res.body.error).toMatchObject({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      details: [expect.objectContaining({ reason: 'RATE_LIMIT_EXCEEDED' })],
    })
  })

  it('when a 429 is queued with retryAfterSeconds, then Retry-After carries it', async () => {
    const { app, faults } = serve()
    faults.add({ status: 429, retryAfterSeconds: 30 })
    const res = await list(app)('?personFields=names', await mint())
    expect(res.status).toBe(429)
    expect(res.headers['retry-after']).toBe('30')
  })

  it('when a fault comes after 1 request, then the second page fails once and paging resumes with the same token', async () => {
    const { app, faults } = serve()
    faults.add({ status: 503, after: 1 })
    const token = await mint()
    const first = await list(app)('?personFields=names&pageSize=100', token)
    expect(first.status).toBe(200)
    const next = `?personFields=names&pageSize=100&pageToken=${first.body.nextPageToken}`
    expect((await list(app)(next, token)).status).toBe(503)
    const retried = await list(app)(next, token)
    expect(retried.status).toBe(200)
    expect(retried.body.connections[0].resourceName).toBe(
      directory.get('alice')?.[100]?.resourceName,
    )
  })

  it('when a fault has only delayMs, then the page is slow but answered as usual', async () => {
    const { app, faults } = serve()
    faults.add({ delayMs: 150 })
    const started = Date.now()
    const res = await list(app)('?personFields=names&pageSize=3', await mint())
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(res.status).toBe(200)
    expect(res.body.connections).toHaveLength(3)
  })

  it('when faults name a route, then they answer only that route; by default the pages', async () => {
    const { app, faults } = serve()
    const token = await mint()
    const groups = () =>
      request(app).get('/v1/contactGroups').set('Authorization', `Bearer ${token}`)
    faults.add({ status: 500 })
    expect((await groups()).status).toBe(200)
    expect((await list(app)('?personFields=names', token)).status).toBe(500)
    faults.add({ status: 503, route: 'contactGroups' })
    expect((await list(app)('?personFields=names', token)).status).toBe(200)
    expect((await groups()).status).toBe(503)
    faults.add({ status: 500, route: '*', times: 2 })
    expect((await groups()).status).toBe(500)
    expect((await list(app)('?personFields=names', token)).status).toBe(500)
    expect((await groups()).status).toBe(200)
  })
})

describe('contacts server: page latency', () => {
  async function timed(app: Express, query: string, token: string): Promise<number> {
    const started = performance.now()
    const res = await list(app)(query, token)
    expect(res.status).toBe(200)
    return performance.now() - started
  }

  it('when pageLatencyMs is set, then a page takes that long per 1,000 people on it', async () => {
    const server = serve({ pageLatencyMs: 400 })
    const token = await mint()
    // 250 people: 100 ms; 10 people: 4 ms.
    expect(
      await timed(server.app, '?personFields=names&pageSize=1000', token),
    ).toBeGreaterThanOrEqual(95)
    expect(await timed(server.app, '?personFields=names&pageSize=10', token)).toBeLessThan(80)
  })

  it('when pageLatencyMs is changed at run time, then the next page follows it; by default there is none', async () => {
    const server = serve()
    const token = await mint()
    expect(server.settings.pageLatencyMs).toBe(0)
    server.settings.pageLatencyMs = 800
    expect(
      await timed(server.app, '?personFields=names&pageSize=1000', token),
    ).toBeGreaterThanOrEqual(195)
  })

  it('when bob, who has no contacts, reads a page, then it does not wait', async () => {
    const server = serve({ pageLatencyMs: 5000 })
    expect(
      await timed(server.app, '?personFields=names', await mint({ claims: { sub: 'bob' } })),
    ).toBeLessThan(1000)
  })
})

describe('demo seed data', () => {
  const everyone = () => [...createDemoDirectory().values()].flat()

  it('when the directory is created, then alice has 250, bob 0 and carol 2987 contacts', () => {
    const fresh = createDemoDirectory()
    expect(fresh.get('alice')).toHaveLength(250)
    expect(fresh.get('bob')).toEqual([])
    expect(fresh.get('carol')).toHaveLength(2987)
    expect([...fresh.keys()]).toEqual(['alice', 'bob', 'carol'])
  })

  it('when the directory is created twice, then both are deeply equal (deterministic)', () => {
    expect(createDemoDirectory()).toEqual(createDemoDirectory())
  })

  it('when the directory is created, then resourceNames are people/c<digits> and unique', () => {
    const names = everyone().map((person) => person.resourceName)
    for (const name of names) expect(name).toMatch(/^people\/c\d+$/)
    expect(new Set(names).size).toBe(names.length)
  })

  it('when names are listed, then non-ASCII names from several scripts are present', () => {
    const displayNames = new Set(
      everyone()
        .flatMap((person) => person.names ?? [])
        .map((name) => name.displayName),
    )
    for (const expected of [
      'Zoë Ångström',
      'José Müller',
      '王秀英',
      'Łukasz Żółć',
      'Ñandú Peña',
      'Søren Kierkegård',
    ]) {
      expect(displayNames).toContain(expected)
    }
    expect([...displayNames].some((name) => /\p{Script=Cyrillic}/u.test(name))).toBe(true)
    expect([...displayNames].some((name) => /\p{Script=Arabic}/u.test(name))).toBe(true)
  })

  it('when alice is inspected, then phone-only, email-only and several-email contacts exist', () => {
    const alice = createDemoDirectory().get('alice') ?? []
    expect(alice.some((p) => !p.names && !p.emailAddresses && p.phoneNumbers)).toBe(true)
    expect(alice.some((p) => !p.names && !p.phoneNumbers && p.emailAddresses)).toBe(true)
    expect(alice.some((p) => (p.emailAddresses?.length ?? 0) > 1)).toBe(true)
    expect(
      alice.some((p) => p.phoneNumbers?.some((phone) => phone.canonicalForm === undefined)),
    ).toBe(true)
  })

  it('when alice is inspected, then some people have addresses, titles, departments, year-less birthdays, URLs, notes, nicknames and groups beyond myContacts', () => {
    const alice = createDemoDirectory().get('alice') ?? []
    const some = (test: (p: Person) => boolean) => expect(alice.some(test)).toBe(true)
    some((p) => (p.addresses?.length ?? 0) > 1)
    some((p) => p.addresses?.some((a) => a.city === undefined) === true)
    some((p) => p.organizations?.[0]?.title !== undefined)
    some((p) => p.organizations?.[0]?.department !== undefined)
    some((p) => p.birthdays?.[0]?.date.year !== undefined)
    some((p) => p.birthdays !== undefined && p.birthdays[0]?.date.year === undefined)
    some((p) => p.urls !== undefined)
    some((p) => p.biographies !== undefined)
    some((p) => p.nicknames !== undefined)
    some((p) => p.relations !== undefined)
    some((p) => p.events !== undefined)
    some((p) => p.photos?.[0]?.default === undefined)
    some((p) => (p.memberships?.length ?? 0) > 1)
    expect(alice.some((p) => p.birthdays === undefined)).toBe(true)
    for (const person of alice) {
      expect(person.memberships?.[0]?.contactGroupMembership.contactGroupResourceName).toBe(
        'contactGroups/myContacts',
      )
    }
  })

  it('when any person is inspected, then it has a name, email or phone and one primary per field', () => {
    for (const person of everyone()) {
      expect(person.names ?? person.emailAddresses ?? person.phoneNumbers).toBeDefined()
      for (const field of [
        person.names,
        person.emailAddresses,
        person.phoneNumbers,
        person.organizations,
        person.nicknames,
        person.addresses,
        person.birthdays,
        person.urls,
        person.biographies,
        person.relations,
        person.events,
        person.photos,
      ]) {
        if (field === undefined) continue
        expect(field.length).toBeGreaterThan(0)
        expect(field.filter((item) => item.metadata.primary === true)).toHaveLength(1)
      }
    }
  })

  it('when update times are read, then the seed order is oldest first (LAST_MODIFIED_ASCENDING)', () => {
    const times = (createDemoDirectory().get('carol') ?? []).map(
      (p) => p.metadata?.sources[0]?.updateTime ?? '',
    )
    expect(times).toEqual([...times].sort())
  })
})
