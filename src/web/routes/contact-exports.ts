// The address book as a download: vCard 4.0 and Google Contacts CSV, streamed batch by
// batch from the store's keyset reader (never the whole book in memory), each download
// spending the person's export budget (web/rate-limit.ts).
import express, { type RequestHandler, type Router } from 'express'
import type { ContactsStore, StoredContact } from '../../address-book/contacts-store.ts'
import { requireUser } from '../../auth/require-user.ts'
import { CSV_MEDIA_TYPE, googleCsvChunks } from '../../exports/google-csv.ts'
import { VCARD_MEDIA_TYPE, vcardChunks } from '../../exports/vcard.ts'
import type { Logger } from '../../log.ts'
import { noStore } from '../no-store.ts'
import { sendChunks } from '../send-chunks.ts'

/** Contacts read per query: a few hundred kilobytes of text at a time. */
export const EXPORT_BATCH_SIZE = 500

const FORMATS: Record<
  string,
  {
    type: string
    filename: string
    chunks(batches: AsyncIterable<StoredContact[]>): AsyncGenerator<string, void>
  }
> = {
  vcf: { type: VCARD_MEDIA_TYPE, filename: 'contacts.vcf', chunks: vcardChunks },
  csv: { type: CSV_MEDIA_TYPE, filename: 'contacts.csv', chunks: googleCsvChunks },
}

export function createExportRoutes(deps: {
  contacts: Pick<ContactsStore, 'stream'>
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
        const batches = deps.contacts.stream(personId, EXPORT_BATCH_SIZE)
        await sendChunks(res, format.chunks(batches), format, (err) => {
          // The download has begun, so the error handler cannot answer: log as it would.
          deps.log.error({ err, reqId: req.id, format: extension }, 'export ended early')
        })
      },
    )
  }
  return router
}
