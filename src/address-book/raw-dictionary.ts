// The preset dictionary of raw-payload.ts's format 1: the shape of a record as the contacts
// APIs send it, every key and the values most records repeat, with no person's data in it.
// deflate looks back at most 32 kB and codes nearer matches in fewer bits, so the People
// record (contacts-apis.md §3.2), by far the most common, comes last; a Graph contact
// (§4.1) before it. Never edit this: rows written with it are read with it
// (test/unit/raw-payload.test.ts pins its digest); a better one is a new format.

const source = { type: 'CONTACT', id: '' }
const primary = { primary: true, sourcePrimary: true, source }
const other = { source }

const graphContact = {
  '@odata.etag': 'W/"',
  id: '',
  createdDateTime: '2025-01-01T00:00:00Z',
  lastModifiedDateTime: '2025-01-01T00:00:00Z',
  changeKey: '',
  categories: [],
  parentFolderId: '',
  birthday: null,
  fileAs: '',
  displayName: '',
  givenName: '',
  initials: null,
  middleName: null,
  nickName: null,
  surname: '',
  title: null,
  yomiGivenName: null,
  yomiSurname: null,
  yomiCompanyName: null,
  generation: null,
  imAddresses: [],
  jobTitle: null,
  companyName: null,
  department: null,
  officeLocation: null,
  profession: null,
  businessHomePage: null,
  assistantName: null,
  manager: null,
  homePhones: [],
  mobilePhone: null,
  businessPhones: [],
  spouseName: null,
  personalNotes: '',
  children: [],
  emailAddresses: [{ name: '', address: '' }],
  homeAddress: {},
  businessAddress: { street: '', city: '', state: '', countryOrRegion: '', postalCode: '' },
  otherAddress: {},
}

const person = {
  resourceName: 'people/c',
  etag: '%',
  metadata: {
    sources: [{ type: 'CONTACT', id: '', etag: '#', updateTime: '2025-01-01T00:00:00.000Z' }],
    objectType: 'PERSON',
  },
  names: [
    {
      metadata: primary,
      displayName: '',
      displayNameLastFirst: ', ',
      unstructuredName: '',
      familyName: '',
      givenName: '',
      middleName: '',
      honorificPrefix: '',
      honorificSuffix: '',
      phoneticGivenName: '',
      phoneticFamilyName: '',
    },
  ],
  nicknames: [{ metadata: other, value: '', type: 'DEFAULT' }],
  emailAddresses: [
    { metadata: primary, value: '@gmail.com', type: 'home', formattedType: 'Home' },
    { metadata: other, value: '@example.com', type: 'work', formattedType: 'Work' },
    { value: '', type: 'other', formattedType: 'Other' },
  ],
  phoneNumbers: [
    {
      metadata: primary,
      value: '+1 ',
      canonicalForm: '+1',
      type: 'mobile',
      formattedType: 'Mobile',
    },
    { metadata: other, value: '', canonicalForm: '+44', type: 'home', formattedType: 'Home' },
    { type: 'work', formattedType: 'Work' },
  ],
  addresses: [
    {
      metadata: primary,
      formattedValue: '\n',
      type: 'home',
      formattedType: 'Home',
      streetAddress: '',
      city: '',
      region: '',
      postalCode: '',
      country: '',
      countryCode: 'US',
    },
  ],
  organizations: [
    {
      metadata: primary,
      name: '',
      title: '',
      department: '',
      type: 'work',
      formattedType: 'Work',
      current: true,
    },
  ],
  birthdays: [{ metadata: primary, date: { year: 1990, month: 1, day: 1 }, text: '' }],
  urls: [
    { metadata: primary, value: 'https://www.', type: 'homePage', formattedType: 'Home Page' },
    { type: 'profile', formattedType: 'Profile' },
  ],
  biographies: [{ metadata: primary, value: '', contentType: 'TEXT_PLAIN' }],
  relations: [{ metadata: primary, person: '', type: 'spouse', formattedType: 'Spouse' }],
  events: [
    {
      metadata: primary,
      date: { year: 2020, month: 1, day: 1 },
      type: 'anniversary',
      formattedType: 'Anniversary',
    },
  ],
  photos: [
    {
      metadata: { primary: true, source },
      url: 'https://lh3.googleusercontent.com/contacts/',
      default: true,
    },
  ],
  memberships: [
    {
      metadata: other,
      contactGroupMembership: {
        contactGroupId: 'myContacts',
        contactGroupResourceName: 'contactGroups/myContacts',
      },
    },
    {
      metadata: other,
      contactGroupMembership: { contactGroupId: '', contactGroupResourceName: 'contactGroups/' },
    },
  ],
}

export const RAW_DICTIONARY_1: Buffer = Buffer.from(
  JSON.stringify(graphContact) + JSON.stringify(person),
  'utf8',
)
