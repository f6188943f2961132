// The work mailboxes of "Demo Microsoft": alice and carol at work. Their contacts partly
// overlap the same people's books at the demo People provider, so a newcomer sees what
// merging does with local servers only:
//   - the same email written in another case and with stray spaces (Zoë Ångström);
//   - the same phone number in another format (Łukasz Żółć, 王秀英);
//   - the same name as a People contact but another email and phone (José Müller): names
//     alone must never merge two people;
//   - colleagues only at work, some in a folder "Team" and its child folder "Project X";
//   - two contacts with a photo (Zoë Ångström, Priya Natarajan), fetched only when opened;
//     the others have none, as most contacts in Outlook.
import { PRIYA_PHOTO, ZOE_PHOTO } from './demo-photos.ts'
import type { GraphFields, GraphPhoto, MailboxSeed } from './mailbox.ts'

const contact = (fields: GraphFields): GraphFields => ({
  emailAddresses: [],
  businessPhones: [],
  homePhones: [],
  categories: [],
  ...fields,
})

const COLLEAGUES: ReadonlyArray<{
  given: string
  family: string
  title: string
  folder?: string
  photo?: GraphPhoto
}> = [
  {
    given: 'Priya',
    family: 'Natarajan',
    title: 'Engineering Manager',
    folder: 'Team',
    photo: PRIYA_PHOTO,
  },
  { given: 'Tomás', family: 'Ferreira', title: 'Designer', folder: 'Team' },
  { given: 'Ingrid', family: 'Solberg', title: 'Product Owner', folder: 'Project X' },
  { given: 'Kwame', family: 'Mensah', title: 'Data Analyst' },
  { given: 'Mei', family: 'Tanaka', title: 'Recruiter' },
]

function workMailbox(company: string): MailboxSeed {
  return {
    folders: [{ name: 'Team' }, { name: 'Project X', parent: 'Team' }],
    contacts: [
      {
        photo: ZOE_PHOTO,
        fields: contact({
          displayName: 'Zoë Ångström',
          givenName: 'Zoë',
          surname: 'Ångström',
          emailAddresses: [{ name: 'Zoë Ångström', address: ' Zoe.Angstrom@EXAMPLE.com ' }],
          companyName: 'Ångström Optik AB',
          jobTitle: 'Optician',
          categories: ['Suppliers'],
        }),
      },
      {
        fields: contact({
          displayName: 'Łukasz Żółć',
          givenName: 'Łukasz',
          surname: 'Żółć',
          mobilePhone: '+48 (22) 555-01-23',
          department: 'Logistics',
        }),
      },
      {
        folder: 'Team',
        fields: contact({
          displayName: '王秀英',
          givenName: '秀英',
          surname: '王',
          businessPhones: ['+86 (10) 5555-0101'],
          companyName: company,
        }),
      },
      {
        // Same name as a People contact, nothing else in common: another person.
        fields: contact({
          displayName: 'José Müller',
          givenName: 'José',
          surname: 'Müller',
          emailAddresses: [{ name: 'José Müller', address: 'jose.muller@logistics.example' }],
          mobilePhone: '+49 30 5550 9876',
          companyName: 'Müller Logistik GmbH',
        }),
      },
      ...COLLEAGUES.map(({ given, family, title, folder, photo }, n) => ({
        ...(folder && { folder }),
        ...(photo && { photo }),
        fields: contact({
          displayName: `${given} ${family}`,
          givenName: given,
          surname: family,
          emailAddresses: [
            {
              name: `${given} ${family}`,
              address: `${given.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()}.${family.toLowerCase()}@work.example`,
            },
          ],
          businessPhones: [`+44 20 7946 01${String(n).padStart(2, '0')}`],
          companyName: company,
          jobTitle: title,
          birthday: '1990-05-17T11:59:00Z',
          categories: ['Work'],
        }),
      })),
    ],
  }
}

export function createDemoMailboxes(): Record<string, MailboxSeed> {
  return { alice: workMailbox('Archer & Co'), carol: workMailbox('Carter Consulting') }
}
