// Reads an upstream body without trusting its size: a provider (or whatever answers in its
// place) must not be able to make one page view hold an unbounded body in memory.
import { Buffer } from 'node:buffer'
import { contactsBadResponse } from './source-errors.ts'

/** The body was over the cap: nothing past the cap was read. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError'
}

/** The body's bytes, refusing to hold more than `limit` of them in memory. */
export async function readCappedBytes(response: Response, limit: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > limit) {
    await response.body?.cancel().catch(() => {})
    throw new BodyTooLargeError(`body of ${declared} bytes exceeds ${limit}`)
  }
  const reader = response.body?.getReader()
  if (!reader) return Buffer.alloc(0)
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw new BodyTooLargeError(`body exceeds ${limit} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/** The body as text, refusing to hold more than `limit` bytes of it in memory. */
export async function readCapped(response: Response, limit: number): Promise<string> {
  return (await readCappedBytes(response, limit)).toString('utf8')
}

/**
 * A page's body as a JSON object, at most `limit` bytes of it; anything else (too big, not
 * JSON, an array or a bare value) is the provider's CONTACTS_BAD_RESPONSE.
 */
export async function readJsonObject(
  provider: string,
  response: Response,
  limit: number,
): Promise<Readonly<Record<string, unknown>>> {
  let body: unknown
  try {
    body = JSON.parse(await readCapped(response, limit))
  } catch (err) {
    throw contactsBadResponse(provider, err)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw contactsBadResponse(provider, new Error('not a JSON object'))
  }
  return body as Readonly<Record<string, unknown>>
}
