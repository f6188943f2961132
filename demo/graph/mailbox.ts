// The Graph fake's data: per subject a mailbox of contact folders and contacts, with a change
// sequence that delta rounds count from (contacts-apis.md §8.1, §8.3, §8.4).
//   - Every contact has an immutable id, and a legacy id that changes whenever it moves to
//     another folder (what Graph does without `Prefer: IdType="ImmutableId"`, §4.1).
//   - Every mutation takes the next sequence number; a deletion or a move leaves a
//     tombstone in the folder it left, which that folder's delta reports as `@removed`.
//   - `changeKey` changes on every mutation, and the etag is `W/"<changeKey>"`.
import { createHash, randomBytes } from 'node:crypto'

/** The contact properties of Graph v1.0 (§4.2), as the fake stores them. */
export type GraphFields = Record<string, unknown>

/** A contact's photo as `…/photo/$value` serves it; bytes alone are a JPEG, as at Graph. */
export type GraphPhoto = Uint8Array | { bytes: Uint8Array; contentType: string }

export interface StoredContact {
  immutableId: string
  folder: string
  moves: number
  createdSeq: number
  changeSeq: number
  changeKey: string
  createdDateTime: string
  lastModifiedDateTime: string
  /** The properties changed by the last update (partial delta answers send only these). */
  changed: string[]
  fields: GraphFields
  /** The photo, when the contact has one. */
  photo?: GraphPhoto
}

export interface Tombstone {
  folder: string
  immutableId: string
  legacyId: string
  seq: number
}

export interface Folder {
  id: string
  displayName: string
  /** null for the default folder; the default folder's id for its direct children. */
  parentFolderId: string | null
}

export interface Mailbox {
  defaultFolder: string
  folders: Map<string, Folder>
  contacts: Map<string, StoredContact>
  tombstones: Tombstone[]
  seq: number
}

export interface MailboxSeed {
  /** Folders below the default one: name, and the parent folder's name (default: top). */
  folders?: ReadonlyArray<{ name: string; parent?: string }>
  /** Contacts; `folder` names a seeded folder, else the default folder. */
  contacts?: ReadonlyArray<{ folder?: string; fields: GraphFields; photo?: GraphPhoto }>
}

const newId = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}=`

export function legacyIdOf(contact: StoredContact): string {
  const digest = createHash('sha256')
    .update(`${contact.immutableId}|${contact.folder}|${contact.moves}`)
    .digest('base64url')
  return `AAMkLegacy${digest}=`
}

export function createMailboxes(options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now
  const boxes = new Map<string, Mailbox>()

  function mailbox(sub: string): Mailbox {
    let box = boxes.get(sub)
    if (!box) {
      const defaultFolder = newId('AAMkDefaultFolder')
      box = { defaultFolder, folders: new Map(), contacts: new Map(), tombstones: [], seq: 0 }
      boxes.set(sub, box)
    }
    return box
  }

  const stamp = (box: Mailbox) => {
    box.seq += 1
    return {
      seq: box.seq,
      changeKey: randomBytes(12).toString('base64url'),
      at: new Date(now()).toISOString(),
    }
  }

  function folderOf(box: Mailbox, id: string | undefined): string {
    if (id === undefined || id === box.defaultFolder) return box.defaultFolder
    if (!box.folders.has(id)) throw new RangeError(`no folder ${id}`)
    return id
  }

  function contactOf(box: Mailbox, id: string): StoredContact {
    const contact = box.contacts.get(id)
    if (!contact) throw new RangeError(`no contact ${id}`)
    return contact
  }

  const api = {
    mailbox,
    /** Adds a folder below `parent` (default: the default folder); its id. */
    addFolder(sub: string, displayName: string, parent?: string): string {
      const box = mailbox(sub)
      const id = newId('AAMkFolder')
      const parentFolderId = parent === undefined ? box.defaultFolder : folderOf(box, parent)
      box.folders.set(id, { id, displayName, parentFolderId })
      stamp(box)
      return id
    },
    /** Deletes a folder and the contacts in it (and its child folders). */
    deleteFolder(sub: string, id: string): void {
      const box = mailbox(sub)
      for (const child of [...box.folders.values()].filter((f) => f.parentFolderId === id)) {
        api.deleteFolder(sub, child.id)
      }
      for (const contact of [...box.contacts.values()].filter((c) => c.folder === id)) {
        api.delete(sub, contact.immutableId)
      }
      box.folders.delete(id)
    },
    /** Adds a contact; its immutable id. */
    add(sub: string, fields: GraphFields, folder?: string, photo?: GraphPhoto): string {
      const box = mailbox(sub)
      const { seq, changeKey, at } = stamp(box)
      const contact: StoredContact = {
        immutableId: newId('AAMkImmutable'),
        folder: folderOf(box, folder),
        moves: 0,
        createdSeq: seq,
        changeSeq: seq,
        changeKey,
        createdDateTime: at,
        lastModifiedDateTime: at,
        changed: Object.keys(fields),
        fields: { ...fields },
        ...(photo && { photo }),
      }
      box.contacts.set(contact.immutableId, contact)
      return contact.immutableId
    },
    /** Replaces the contact's properties with `fields`. */
    update(sub: string, id: string, fields: GraphFields): void {
      const box = mailbox(sub)
      const contact = contactOf(box, id)
      const { seq, changeKey, at } = stamp(box)
      const names = new Set([...Object.keys(contact.fields), ...Object.keys(fields)])
      contact.changed = [...names].filter(
        (name) => JSON.stringify(contact.fields[name]) !== JSON.stringify(fields[name]),
      )
      Object.assign(contact, {
        fields: { ...fields },
        changeSeq: seq,
        changeKey,
        lastModifiedDateTime: at,
      })
    },
    delete(sub: string, id: string): void {
      const box = mailbox(sub)
      const contact = contactOf(box, id)
      const { seq } = stamp(box)
      box.tombstones.push({
        folder: contact.folder,
        immutableId: id,
        legacyId: legacyIdOf(contact),
        seq,
      })
      box.contacts.delete(id)
    },
    /** Gives the contact a photo, or takes it away (`undefined`); not a change delta reports. */
    setPhoto(sub: string, id: string, photo: GraphPhoto | undefined): void {
      const contact = contactOf(mailbox(sub), id)
      if (photo) contact.photo = photo
      else delete contact.photo
    },
    /** Moves the contact to another folder: its immutable id stays, its legacy id changes. */
    move(sub: string, id: string, folder: string | undefined): void {
      const box = mailbox(sub)
      const contact = contactOf(box, id)
      const target = folderOf(box, folder)
      if (target === contact.folder) return
      const { seq, changeKey, at } = stamp(box)
      box.tombstones.push({
        folder: contact.folder,
        immutableId: id,
        legacyId: legacyIdOf(contact),
        seq,
      })
      Object.assign(contact, {
        folder: target,
        moves: contact.moves + 1,
        changeSeq: seq,
        changeKey,
        lastModifiedDateTime: at,
        changed: ['parentFolderId'],
      })
    },
    /** Empties the mailbox (its default folder keeps its id) and seeds it. */
    replace(sub: string, seed: MailboxSeed): void {
      const box = mailbox(sub)
      for (const contact of [...box.contacts.keys()]) api.delete(sub, contact)
      box.folders.clear()
      const byName = new Map<string, string>()
      for (const folder of seed.folders ?? []) {
        const parent = folder.parent === undefined ? undefined : byName.get(folder.parent)
        byName.set(folder.name, api.addFolder(sub, folder.name, parent))
      }
      for (const contact of seed.contacts ?? []) {
        const folder = contact.folder === undefined ? undefined : byName.get(contact.folder)
        api.add(sub, contact.fields, folder, contact.photo)
      }
    },
    /** The contact by its immutable id or its current legacy id. */
    find(sub: string, id: string): StoredContact | undefined {
      const box = mailbox(sub)
      return box.contacts.get(id) ?? [...box.contacts.values()].find((c) => legacyIdOf(c) === id)
    },
  }
  return api
}

export type Mailboxes = ReturnType<typeof createMailboxes>
