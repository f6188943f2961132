// The contract, run against the Google People API v1 adapter and the demo's People-shaped
// contacts server (a real HTTP server on 127.0.0.1, verifying real RFC 9068 JWTs signed
// here), reached through openid-client as in production.
import { Buffer } from 'node:buffer'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'
import type { Fault } from '../../demo/contacts-server.ts'
import { createContactsServer } from '../../demo/contacts-server.ts'
import type { FieldMetadata, Person } from '../../demo/person.ts'
import { createContactSource } from '../../src/contacts/create-contact-source.ts'
import { PAGE_SIZE } from '../../src/contacts/sources/people.ts'
import { resourceFetcher } from '../support/resource-fetch.ts'
import {
  type ContactSourceFixture,
  type ContractFault,
  runContactSourceContract,
  type SeedContact,
} from './contact-source.contract.ts'

const ISSUER = 'http://issuer.invalid'
const SUBJECT = 'contract-person'
const KID = 'contract-key'
const CONNECTIONS = '/v1/people/me/connections'

/** User group ids are opaque at Google; the label's name in hex stands in for one. */
const groupOf = (label: string) => `contactGroups/${Buffer.from(label).toString('hex')}`

/** A SeedContact as the People API returns it (contacts-apis.md §3.2). */
function toPerson(seed: SeedContact, index: number): Person {
  const source = { type: 'CONTACT' as const, id: index.toString(16) }
  const metadata = (primary: boolean): FieldMetadata =>
    primary ? { primary: true, sourcePrimary: true, source } : { source }
  const display = `${seed.given} ${seed.family}`
  const emails = seed.emails ?? []
  const phones = seed.phones ?? []
  return {
    resourceName: `people/c${1_000_000 + index}`,
    etag: `%etag${index}`,
    names: [
      {
        metadata: metadata(true),
        displayName: display,
        displayNameLastFirst: `${seed.family}, ${seed.given}`,
        unstructuredName: display,
        givenName: seed.given,
        familyName: seed.family,
        ...(seed.middle && { middleName: seed.middle }),
        ...(seed.prefix && { honorificPrefix: seed.prefix }),
        ...(seed.suffix && { honorificSuffix: seed.suffix }),
        ...(seed.phoneticGiven && { phoneticGivenName: seed.phoneticGiven }),
        ...(seed.phoneticFamily && { phoneticFamilyName: seed.phoneticFamily }),
      },
    ],
    ...(emails.length > 0 && {
      emailAddresses: emails.map((email, n) => ({
        metadata: metadata(n === (seed.primaryEmail ?? 0)),
        value: email.address,
        type: email.type ?? 'other',
        formattedType: email.type ?? 'Other',
      })),
    }),
    ...(phones.length > 0 && {
      phoneNumbers: phones.map((phone, n) => ({
        metadata: metadata(n === 0),
        value: phone.value,
        ...(phone.e164 && { canonicalForm: phone.e164 }),
        type: phone.type ?? 'other',
        formattedType: phone.type ?? 'Other',
      })),
    }),
    ...(seed.organizations?.length && {
      organizations: seed.organizations.map((org, n) => ({
        metadata: metadata(n === 0),
        name: org.name,
        ...(org.title && { title: org.title }),
        ...(org.department && { department: org.department }),
        type: 'work' as const,
        formattedType: 'Work' as const,
        current: true as const,
      })),
    }),
    ...(seed.nicknames?.length && {
      nicknames: seed.nicknames.map((value, n) => ({ metadata: metadata(n === 0), value })),
    }),
    ...(seed.addresses?.length && {
      addresses: seed.addresses.map(({ type, ...parts }, n) => ({
        metadata: metadata(n === 0),
        formattedValue: [parts.street, parts.city, parts.region, parts.postalCode, parts.country]
          .filter(Boolean)
          .join('\n'),
        type,
        formattedType: type,
        ...(parts.street && { streetAddress: parts.street }),
        ...(parts.city && { city: parts.city }),
        ...(parts.region && { region: parts.region }),
        ...(parts.postalCode && { postalCode: parts.postalCode }),
        ...(parts.country && { country: parts.country }),
        ...(parts.countryCode && { countryCode: parts.countryCode }),
      })),
    }),
    ...(seed.birthday && { birthdays: [{ metadata: metadata(true), date: seed.birthday }] }),
    ...(seed.urls?.length && {
      urls: seed.urls.map((url, n) => ({
        metadata: metadata(n === 0),
        value: url.value,
        type: url.type ?? 'other',
        formattedType: url.type ?? 'Other',
      })),
    }),
    ...(seed.note && {
      biographies: [
        { metadata: metadata(true), value: seed.note, contentType: 'TEXT_PLAIN' as const },
      ],
    }),
    ...(seed.relations?.length && {
      relations: seed.relations.map((relation, n) => ({
        metadata: metadata(n === 0),
        person: relation.person,
        type: relation.type,
        formattedType: relation.type,
      })),
    }),
    ...(seed.events?.length && {
      events: seed.events.map((event, n) => ({
        metadata: metadata(n === 0),
        date: event.date,
        type: event.type,
        formattedType: 'Anniversary',
      })),
    }),
    ...(seed.photoUrl && { photos: [{ metadata: metadata(true), url: seed.photoUrl }] }),
    ...(seed.labels?.length && {
      memberships: seed.labels.map((label) => ({
        metadata: { source },
        contactGroupMembership: {
          contactGroupId: groupOf(label).slice('contactGroups/'.length),
          contactGroupResourceName: groupOf(label),
        },
      })),
    }),
  }
}

function toFault(fault: ContractFault): Fault {
  switch (fault.kind) {
    case 'token-expired':
      return { status: 401 } // the fake's invalid_token challenge and Google's 401 body
    case 'insufficient-scope':
      return { status: 403 } // insufficient_scope and ACCESS_TOKEN_SCOPE_INSUFFICIENT
    case 'unavailable':
      return {
        status: fault.status,
        ...(fault.retryAfter !== undefined && { headers: { 'Retry-After': fault.retryAfter } }),
      }
    case 'malformed-body':
      return { status: 200, body: '{"connections": [' }
  }
}

async function setup(): Promise<ContactSourceFixture> {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' }
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const contactsUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  const audience = contactsUrl.href // with the trailing slash, as the demo's resource indicator
  const fake = createContactsServer({
    issuer: ISSUER,
    audience,
    keys: createLocalJWKSet({ keys: [jwk] }),
  })
  const { directory } = fake
  let mark = fake.requests.mark()
  let added = 0
  /** The fields of a SeedContact's Person, for the directory to name and stamp. */
  const fieldsOf = (seed: SeedContact) => {
    const { resourceName: _name, etag: _etag, ...fields } = toPerson(seed, 0)
    return fields
  }
  server.on('request', fake.app)

  const now = Math.floor(Date.now() / 1000)
  const accessToken = await new SignJWT({
    client_id: 'contacts-importer',
    scope: 'openid contacts.read',
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: KID })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setSubject(SUBJECT)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey)

  return {
    source: createContactSource(
      { id: 'people-contract', contactsApi: 'people', contactsUrl },
      { fetchResource: resourceFetcher() },
    ),
    contactsUrl,
    pageSize: PAGE_SIZE,
    accessToken,
    supports: {
      emailTypes: true,
      phoneE164: true,
      phoneticNames: true,
      nameParts: true,
      severalOrganizations: true,
      birthdayWithoutYear: true,
      events: true,
      photos: 'urls',
      syncToken: true,
      relink: true,
      groups: true,
    },
    cursorParams: ['pageToken', 'syncToken'],
    pageRequests: () =>
      fake.requests
        .since(mark)
        .filter((entry) => entry.path === CONNECTIONS)
        .map((entry) => entry.query),
    label: groupOf,
    seed(contacts) {
      directory.replace(SUBJECT, contacts.map(toPerson))
      const labels = new Set(contacts.flatMap((contact) => contact.labels ?? []))
      directory.setGroups(
        SUBJECT,
        [...labels].map((name) => ({ resourceName: groupOf(name), name })),
      )
    },
    add(contact) {
      added += 1
      return directory.add(SUBJECT, {
        ...fieldsOf(contact),
        resourceName: `people/c${5_000_000 + added}`,
      }).resourceName
    },
    update(externalId, contact) {
      directory.update(SUBJECT, externalId, () => fieldsOf(contact))
    },
    remove(externalId) {
      directory.delete(SUBJECT, externalId)
    },
    relink: (externalId) => directory.relink(SUBJECT, externalId).resourceName,
    addUnusable() {
      // What Google keeps of a contact whose every field was cleared: a generated photo and
      // the system group.
      const source = { type: 'CONTACT' as const, id: 'blank' }
      return directory.add(SUBJECT, {
        photos: [
          {
            metadata: { primary: true, source },
            url: 'https://photos.example/tile.png',
            default: true,
          },
        ],
        memberships: [
          {
            metadata: { source },
            contactGroupMembership: {
              contactGroupId: 'myContacts',
              contactGroupResourceName: 'contactGroups/myContacts',
            },
          },
        ],
      }).resourceName
    },
    expireSyncTokens() {
      fake.faults.expireSyncTokens()
    },
    fault(fault) {
      fake.faults.add(toFault(fault))
    },
    reset() {
      directory.replace(SUBJECT, [])
      directory.setGroups(SUBJECT, [])
      fake.faults.clear()
      mark = fake.requests.mark()
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

runContactSourceContract('Google People API v1', setup)
