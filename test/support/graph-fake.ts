// A Graph fake on 127.0.0.1 for tests: the demo's Graph look-alike (demo/graph/) behind a
// real HTTP server, verifying real RFC 9068 JWTs signed here, and SeedContacts written as
// Graph holds them. Used by the contract suite and the Graph adapter's own tests.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'
import {
  createGraphServer,
  type GraphFields,
  type GraphServer,
  type GraphServerOptions,
} from '../../demo/graph/graph-server.ts'
import type { SeedContact } from '../contract/contact-source.contract.ts'

const ISSUER = 'http://issuer.invalid'
const KID = 'graph-test-key'

export interface GraphFake {
  fake: GraphServer
  /** The base the adapter is configured with (the fake serves /v1.0 below it). */
  contactsUrl: URL
  /** A token for `sub` with the given scopes (default: Contacts.Read). */
  token(sub: string, scope?: string): Promise<string>
  close(): Promise<void>
}

export async function startGraphFake(
  options: Omit<GraphServerOptions, 'issuer' | 'audience' | 'keys'> = {},
): Promise<GraphFake> {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' }
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const contactsUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  const audience = contactsUrl.href
  const fake = createGraphServer({
    ...options,
    issuer: ISSUER,
    audience,
    keys: createLocalJWKSet({ keys: [jwk] }),
  })
  server.on('request', fake.app)

  return {
    fake,
    contactsUrl,
    async token(sub, scope = 'openid Contacts.Read') {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ client_id: 'contacts-importer', scope })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: KID })
        .setIssuer(ISSUER)
        .setAudience(audience)
        .setSubject(sub)
        .setJti(crypto.randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey)
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

const graphDate = (d: { year?: number; month: number; day: number }) =>
  `${String(d.year ?? 1604).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}T11:59:00Z`

/**
 * A SeedContact as Graph holds it (contacts-apis.md §4.1–4.2). Graph has no email types and
 * no primary flag: the primary email is put first. Phones go to their bucket, addresses to
 * their slot, the first organisation only, relations to their own properties.
 */
export function toGraphFields(seed: SeedContact): GraphFields {
  const emails = [...(seed.emails ?? [])]
  const primary = seed.primaryEmail ?? 0
  const ordered = [...emails.slice(primary, primary + 1), ...emails.filter((_, n) => n !== primary)]
  const phones = seed.phones ?? []
  const organization = seed.organizations?.[0]
  const relation = (type: string) =>
    seed.relations?.filter((r) => r.type === type).map((r) => r.person) ?? []
  const address = (type: 'home' | 'work' | 'other') => {
    const a = seed.addresses?.find((x) => x.type === type)
    return a
      ? {
          street: a.street ?? '',
          city: a.city ?? '',
          state: a.region ?? '',
          countryOrRegion: a.country ?? '',
          postalCode: a.postalCode ?? '',
        }
      : {}
  }
  return {
    displayName: `${seed.given} ${seed.family}`,
    givenName: seed.given,
    surname: seed.family,
    middleName: seed.middle ?? null,
    title: seed.prefix ?? null,
    generation: seed.suffix ?? null,
    yomiGivenName: seed.phoneticGiven ?? null,
    yomiSurname: seed.phoneticFamily ?? null,
    nickName: seed.nicknames?.[0] ?? null,
    emailAddresses: ordered.map((e) => ({
      name: `${seed.given} ${seed.family}`,
      address: e.address,
    })),
    mobilePhone: phones.find((p) => p.type === 'mobile')?.value ?? null,
    businessPhones: phones.filter((p) => p.type === 'work').map((p) => p.value),
    homePhones: phones.filter((p) => p.type === 'home' || p.type === undefined).map((p) => p.value),
    homeAddress: address('home'),
    businessAddress: address('work'),
    otherAddress: address('other'),
    companyName: organization?.name ?? null,
    jobTitle: organization?.title ?? null,
    department: organization?.department ?? null,
    birthday: seed.birthday ? graphDate(seed.birthday) : null,
    businessHomePage: seed.urls?.[0]?.value ?? null,
    personalNotes: seed.note ?? '',
    spouseName: relation('spouse')[0] ?? null,
    children: relation('child'),
    manager: relation('manager')[0] ?? null,
    assistantName: relation('assistant')[0] ?? null,
    categories: seed.labels ?? [],
  }
}
