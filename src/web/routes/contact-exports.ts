// The address book as a download: vCard 4.0, Google Contacts CSV and Outlook CSV
// (`export.csv?format=outlook`), streamed batch by batch from the store's keyset readers
// (never the whole book in memory), each download spending the person's export budget
// (web/rate-limit.ts). By default one entry per card, its contacts' values merged
// (address-book/merge-card.ts); `?source=<connection id>` exports that source's contacts
// alone, as they came, not merged.
import express, { type Request, type RequestHandler, type Router } from 'express'
import type { ContactsStore, StoredCard, StoredContact } from '../../address-book/contacts-store.ts'
import { mergeCard } from '../../address-book/merge-card.ts'
import { requireUser } from '../../auth/require-user.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import { CSV_MEDIA_TYPE, googleCsvChunks } from '../../exports/google-csv.ts'
import { outlookCsvChunks } from '../../exports/outlook-csv.ts'
import { VCARD_MEDIA_TYPE, vcardChunks } from '../../exports/vcard.ts'
import type { Logger } from '../../log.ts'
import { noStore } from '../no-store.ts'
import { sendChunks } from '../send-chunks.ts'

/** Contacts (or cards) read per query: a few hundred kilobytes of text at a time. */
export const EXPORT_BATCH_SIZE = 500

type Chunks = (batches: AsyncIterable<StoredContact[]>) => AsyncGenerator<string, void>

const FORMATS: Record<
  string,
  { type: string; filename: string; chunks: Record<string, Chunks>; default: string }
> = {
  vcf: {
    type: VCARD_MEDIA_TYPE,
    filename: 'contacts.vcf',
    chunks: { vcard: vcardChunks },
    default: 'vcard',
  },
  csv: {
    type: CSV_MEDIA_TYPE,
    filename: 'contacts.csv',
    chunks: { google: googleCsvChunks, outlook: outlookCsvChunks },
    default: 'google',
  },
}

/**
 * A card as one stored contact: the lead's record (its UID, so a card of one contact keeps
 * the UID it always had) with every contact's values merged, updated as its latest.
 */
export function cardAsContact(card: StoredCard): StoredContact {
  const [lead] = card.contacts
  if (!lead) throw new Error('cardAsContact: a card has at least one contact')
  if (card.contacts.length === 1) return lead
  const updatedAt = new Date(Math.max(...card.contacts.map((c) => c.updatedAt.getTime())))
  return { ...lead, contact: mergeCard(card.contacts).contact, updatedAt }
}

async function* merged(cards: AsyncIterable<StoredCard[]>): AsyncGenerator<StoredContact[]> {
  for await (const batch of cards) yield batch.map(cardAsContact)
}

function single(req: Request, name: string): string | undefined {
  const value = req.query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    throw new AppError(ErrorCode.BAD_REQUEST, `Give “${name}” once, as plain text.`, {
      status: 400,
    })
  }
  return value
}

export function createExportRoutes(deps: {
  contacts: Pick<ContactsStore, 'stream' | 'streamCards'>
  /** The person's export budget. */
  limit: RequestHandler
  log: Logger
}): Router {
  const router = express.Router()
  for (const [extension, format] of Object.entries(FORMATS)) {
    router.get(
      `/contacts/export.${extension}`,
      noStore,
      requireUser,
      deps.limit,
      async (req, res) => {
        const personId = req.session.personId as string
        const name = single(req, 'format') ?? format.default
        const chunks = Object.hasOwn(format.chunks, name) ? format.chunks[name] : undefined
        if (!chunks) {
          throw new AppError(
            ErrorCode.BAD_REQUEST,
            `There is no such format of .${extension} export. Choose one of: ${Object.keys(format.chunks).join(', ')}.`,
            { status: 400 },
          )
        }
        const source = single(req, 'source')
        // A source is one of the person's own connections; any other id names nothing here.
        if (source !== undefined && !res.locals.person?.connections.some((c) => c.id === source)) {
          throw new AppError(ErrorCode.NOT_FOUND, 'There is no such source of your contacts.', {
            status: 404,
          })
        }
        const batches = source
          ? deps.contacts.stream(personId, EXPORT_BATCH_SIZE, { connectionId: source })
          : merged(deps.contacts.streamCards(personId, EXPORT_BATCH_SIZE))
        await sendChunks(res, chunks(batches), format, (err) => {
          // The download has begun, so the error handler cannot answer: log as it would.
          deps.log.error({ err, reqId: req.id, format: extension }, 'export ended early')
        })
      },
    )
  }
  return router
}
