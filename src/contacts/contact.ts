// The app's own contact model: the part of contacts-apis.md §9 that the pages and the
// de-duplication need. Provider adapters map their payloads onto it.
export interface ContactEmail {
  address: string
  type: string | undefined
  primary: boolean
}

export interface ContactPhone {
  value: string
  /** E.164, when the provider computed it. */
  e164: string | undefined
  type: string | undefined
  primary: boolean
}

export interface Contact {
  /** The provider's id: Google resourceName. */
  externalId: string
  etag: string | undefined
  name: { display: string | undefined; given: string | undefined; family: string | undefined }
  emails: ContactEmail[]
  phones: ContactPhone[]
  organization: string | undefined
}

/** What to show as the contact's name: its name, else its first email, else its first phone. */
export function displayName(contact: Contact): string {
  return (
    contact.name.display ||
    [contact.name.given, contact.name.family].filter(Boolean).join(' ') ||
    contact.emails[0]?.address ||
    contact.phones[0]?.value ||
    contact.externalId
  )
}
