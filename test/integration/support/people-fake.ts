// The demo contacts server in a test: created in-process (supertest drives its app), with a
// local key set and tokens minted here, so each test can shape the server and the clock.
import type { Express } from 'express'
import type { CryptoKey, JWTPayload } from 'jose'
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'
import request from 'supertest'
import type { ContactsServer, ContactsServerOptions } from '../../../demo/contacts-server.ts'
import { createContactsServer } from '../../../demo/contacts-server.ts'
import type { Person } from '../../../demo/person.ts'

export const ISSUER = 'http://localhost:4000'
export const AUDIENCE = 'http://localhost:4001/'
export const CONNECTIONS = '/v1/people/me/connections'
const KID = 'people-fake-key'

export interface ListBody {
  connections?: Array<Partial<Person>>
  nextPageToken?: string
  nextSyncToken?: string
  totalItems?: number
  totalPeople?: number
}

export interface PeopleFake {
  server: ContactsServer
  /** A valid access token for `sub` (alice by default). */
  mint(sub?: string, claims?: JWTPayload): Promise<string>
  /** GET a path of the server with the token as a Bearer credential. */
  get(path: string, token: string): request.Test
}

let key: { privateKey: CryptoKey; keys: ReturnType<typeof createLocalJWKSet> } | undefined

async function signingKey() {
  if (!key) {
    const pair = await generateKeyPair('RS256')
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }
    key = { privateKey: pair.privateKey, keys: createLocalJWKSet({ keys: [jwk] }) }
  }
  return key
}

export async function startPeopleFake(
  options: Partial<ContactsServerOptions> = {},
): Promise<PeopleFake> {
  const { privateKey, keys } = await signingKey()
  const server = createContactsServer({ issuer: ISSUER, audience: AUDIENCE, keys, ...options })
  const app: Express = server.app
  return {
    server,
    async mint(sub = 'alice', claims = {}) {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({
        client_id: 'contacts-importer',
        scope: 'openid contacts.read',
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: KID })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(sub)
        .setJti(crypto.randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(privateKey)
    },
    get: (path, token) => request(app).get(path).set('Authorization', `Bearer ${token}`),
  }
}

/** A person with a name and nothing else, as a test seeds one. */
export function namedPerson(n: number, name = `Person ${n}`): Person {
  const source = { type: 'CONTACT' as const, id: n.toString(16) }
  return {
    resourceName: `people/c${1000 + n}`,
    etag: `%seed${n}`,
    metadata: {
      sources: [{ ...source, etag: `#seed${n}`, updateTime: '2025-01-01T00:00:00.000Z' }],
      objectType: 'PERSON',
    },
    names: [
      {
        metadata: { primary: true, source },
        displayName: name,
        displayNameLastFirst: name,
        unstructuredName: name,
      },
    ],
  }
}

export const people = (count: number, from = 0): Person[] =>
  Array.from({ length: count }, (_, n) => namedPerson(from + n))
