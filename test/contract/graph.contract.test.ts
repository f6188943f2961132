// The contract, run against the Microsoft Graph adapter and the demo's Graph look-alike (a
// real HTTP server on 127.0.0.1, verifying real RFC 9068 JWTs signed here), reached through
// openid-client as in production. Where Graph differs from People, the fixture says so in
// Graph's terms: labels are category names; a "relink" is a move to another folder, which
// keeps the contact's immutable id; a delta round's `$select` lives in its tokens.

import type { GraphFault } from '../../demo/graph/graph-server.ts'
import { createContactSource } from '../../src/contacts/create-contact-source.ts'
import { PAGE_SIZE } from '../../src/contacts/sources/graph.ts'
import { startGraphFake, toGraphFields } from '../support/graph-fake.ts'
import { resourceFetcher } from '../support/resource-fetch.ts'
import {
  type ContactSourceFixture,
  type ContractFault,
  runContactSourceContract,
} from './contact-source.contract.ts'

const SUBJECT = 'contract-person'

function toFault(fault: ContractFault): GraphFault {
  switch (fault.kind) {
    case 'token-expired':
      return { status: 401 } // InvalidAuthenticationToken with the invalid_token challenge
    case 'insufficient-scope':
      return { status: 403 } // ErrorAccessDenied
    case 'unavailable':
      return {
        status: fault.status,
        ...(fault.retryAfter !== undefined && { retryAfter: fault.retryAfter }),
      }
    case 'malformed-body':
      return { status: 200, body: '{"value": [' }
  }
}

async function setup(): Promise<ContactSourceFixture> {
  const graph = await startGraphFake()
  const { fake } = graph
  const accessToken = await graph.token(SUBJECT)
  let mark = fake.requests.mark()
  let movedTo: string | undefined

  return {
    source: createContactSource(
      { id: 'graph-contract', contactsApi: 'graph', contactsUrl: graph.contactsUrl },
      { fetchResource: resourceFetcher() },
    ),
    contactsUrl: graph.contactsUrl,
    pageSize: PAGE_SIZE,
    accessToken,
    supports: {
      emailTypes: false,
      phoneE164: false,
      phoneticNames: true,
      nameParts: true,
      severalOrganizations: false,
      birthdayWithoutYear: false,
      events: false,
      photos: 'on-demand',
      syncToken: true,
      relink: true,
      groups: false,
    },
    cursorParams: ['$skiptoken', '$deltatoken'],
    cursorBoundParams: ['$select'],
    pageRequests: () =>
      fake.requests
        .since(mark)
        .filter((entry) => entry.path.endsWith('/contacts/delta'))
        .map((entry) => entry.query),
    label: (name) => name,
    seed(contacts) {
      movedTo = undefined
      fake.mailboxes.replace(SUBJECT, {
        contacts: contacts.map((c) => ({
          fields: toGraphFields(c),
          ...(c.photo && { photo: c.photo }),
        })),
      })
    },
    add: (contact) => fake.mailboxes.add(SUBJECT, toGraphFields(contact)),
    update: (externalId, contact) =>
      fake.mailboxes.update(SUBJECT, externalId, toGraphFields(contact)),
    remove: (externalId) => fake.mailboxes.delete(SUBJECT, externalId),
    relink(externalId) {
      movedTo ??= fake.mailboxes.addFolder(SUBJECT, 'Moved')
      fake.mailboxes.move(SUBJECT, externalId, movedTo)
      return externalId // the immutable id survives the move
    },
    addUnusable: () =>
      fake.mailboxes.add(SUBJECT, { categories: ['Blue category'], personalNotes: '' }),
    expireSyncTokens: () => fake.faults.expireDeltaTokens(),
    fault: (fault) => fake.faults.add(toFault(fault)),
    reset() {
      movedTo = undefined
      fake.mailboxes.replace(SUBJECT, {})
      fake.faults.clear()
      mark = fake.requests.mark()
    },
    close: () => graph.close(),
  }
}

runContactSourceContract('Microsoft Graph v1.0', setup)
