// Writes the contacts page while the pages arrive: the head (with the connection panel),
// one block of table rows per page, then the foot with the count. Only one page of
// contacts is held at a time, and the next one is requested only once the previous rows
// were handed to the socket (backpressure): a slow browser slows the reading instead of
// piling up HTML. The caller has already read the first page, so the common failures
// (revoked grant, 403, provider down) got the normal error page; a failure after that can
// only end the list, with a short notice in the page.
import type { Response } from 'express'
import { type Contact, displayName } from '../contacts/contact.ts'
import type { ContactsPage } from '../contacts/contact-source.ts'
import type { ConnectionView } from './connection.ts'
import { toPublicError } from './public-error.ts'

export interface ContactListStream {
  title: string
  connection: ConnectionView | undefined
  providerLabel: string
  first: ContactsPage
  /** The pages after the first. */
  rest: AsyncGenerator<ContactsPage, void>
  /** Told about a failure that ended the list early (to log it, to forget the grant). */
  onFailure(err: unknown): Promise<void>
}

function render(res: Response, view: string, locals: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    res.render(view, locals, (err: Error | null, html: string) =>
      err ? reject(err) : resolve(html),
    )
  })
}

/** Resolves once the chunk is handed over, or the browser has gone. */
function write(res: Response, chunk: string): Promise<void> {
  if (res.destroyed || res.write(chunk)) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

const rowsOf = (contacts: Contact[]) => contacts.map((c) => ({ ...c, displayName: displayName(c) }))

export async function streamContactList(res: Response, list: ContactListStream): Promise<void> {
  const { connection, providerLabel } = list
  let count = 0
  let tableOpen = false

  async function writeRows(contacts: Contact[]) {
    // Providers may send empty pages in the middle (Graph does): no empty table for them.
    if (contacts.length === 0) return
    const html = await render(res, 'pages/resource/rows', {
      contacts: rowsOf(contacts),
      openTable: !tableOpen,
    })
    tableOpen = true
    count += contacts.length
    await write(res, html)
  }

  res.status(200).type('html')
  await write(res, await render(res, 'pages/resource/start', { title: list.title, connection }))
  await writeRows(list.first.contacts)

  let failure: string | undefined
  try {
    for (;;) {
      // The browser left: stop reading from the provider.
      if (res.destroyed) return
      let step: IteratorResult<ContactsPage, void>
      try {
        step = await list.rest.next()
      } catch (err) {
        await list.onFailure(err)
        // The same words the error page would show; never a stack or an upstream body.
        failure = toPublicError(err).message
        break
      }
      if (step.done) break
      await writeRows(step.value.contacts)
    }
  } finally {
    // Ends the reader wherever we stopped (a no-op once it is done).
    await list.rest.return()
  }
  res.end(await render(res, 'pages/resource/end', { providerLabel, count, tableOpen, failure }))
}
