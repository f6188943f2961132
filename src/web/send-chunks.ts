// Sends a download made of chunks as they are produced, with backpressure: the next chunk
// is asked for only once the socket took the previous one, so a slow client slows the
// reading of the book instead of piling it up in memory, and a client that leaves stops
// it. The first chunk is produced before anything is sent, so that a failure to begin
// (the database is down) still gets the one error handler's page and status; a failure
// after that can no longer change the status, so the response is cut off — a download
// that ends early must not look complete.
import type { Response } from 'express'

/** Resolves once the chunk is handed over, or the client has gone. */
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

export async function sendChunks(
  res: Response,
  chunks: AsyncGenerator<string, void>,
  headers: { type: string; filename: string },
  onFailure: (err: unknown) => void,
): Promise<void> {
  let step: IteratorResult<string, void>
  try {
    step = await chunks.next()
  } catch (err) {
    await chunks.return()
    throw err
  }
  res.status(200)
  res.set('Content-Type', headers.type)
  // Quoted, as RFC 6266 §4.1 allows and every browser reads; the name is ours, never input.
  res.set('Content-Disposition', `attachment; filename="${headers.filename}"`)
  try {
    while (!step.done) {
      await write(res, step.value)
      if (res.destroyed) return
      step = await chunks.next()
    }
    res.end()
  } catch (err) {
    onFailure(err)
    res.destroy()
  } finally {
    // Ends the reader wherever we stopped (a no-op once it is done).
    await chunks.return()
  }
}
