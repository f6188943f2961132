// What a provider's photo answer must be before anyone serves it: an image type we allow,
// whose bytes are that format, within the size cap — or a clear refusal.
import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { MAX_PHOTO_BYTES, readPhoto, sniffPhotoType } from '../../src/contacts/photo-bytes.ts'
import { AppError } from '../../src/errors.ts'

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00])
const PNG = Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'latin1')
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')
const WEBP = Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1')

const answer = (
  body: ConstructorParameters<typeof Response>[0],
  type: string | undefined,
  headers: Record<string, string> = {},
) => new Response(body, { headers: { ...(type && { 'content-type': type }), ...headers } })

async function refusal(response: Response): Promise<AppError> {
  try {
    await readPhoto('graph', response)
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe('readPhoto', () => {
  it.each([
    ['image/jpeg', JPEG, 'image/jpeg'],
    ['IMAGE/JPEG; charset=binary', JPEG, 'image/jpeg'],
    ['image/jpg', JPEG, 'image/jpeg'],
    ['image/png', PNG, 'image/png'],
    ['image/gif', GIF, 'image/gif'],
    ['image/webp', WEBP, 'image/webp'],
  ])(
    'when the provider sends %s with matching bytes, then it is served as %s',
    async (type, bytes, served) => {
      const photo = await readPhoto('graph', answer(bytes, type))
      expect(photo.contentType).toBe(served)
      expect(photo.bytes.equals(bytes)).toBe(true)
    },
  )

  it.each([
    ['SVG, which can carry script', 'image/svg+xml', Buffer.from('<svg onload="alert(1)"/>')],
    ['HTML', 'text/html', Buffer.from('<script>alert(1)</script>')],
    ['no type at all', undefined, JPEG],
    ['a type we do not serve', 'image/bmp', Buffer.from('BM')],
    ['a PNG type over JPEG bytes', 'image/png', JPEG],
    ['a JPEG type over HTML', 'image/jpeg', Buffer.from('<html>')],
    ['a JPEG type and no bytes', 'image/jpeg', Buffer.alloc(0)],
  ])(
    'when the provider sends %s, then it is refused as not a photo',
    async (_what, type, bytes) => {
      const err = await refusal(answer(bytes, type))
      expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE', status: 502, provider: 'graph' })
      expect(err.message).toMatch(/other than a JPEG, PNG, GIF or WebP/)
    },
  )

  it('when the declared length is over the cap, then it is refused without reading the body', async () => {
    let pulled = 0
    const body = new ReadableStream({
      pull(controller) {
        pulled += 1
        controller.enqueue(JPEG)
      },
    })
    const err = await refusal(
      answer(body, 'image/jpeg', { 'content-length': String(MAX_PHOTO_BYTES + 1) }),
    )
    expect(err.message).toMatch(/larger than 4 MB/)
    expect(pulled).toBeLessThanOrEqual(1) // a stream pulls once when made; nothing was read
  })

  it('when the body has no length and runs past the cap, then reading stops there and it is refused', async () => {
    let sent = 0
    const chunk = Buffer.alloc(256 * 1024, 0xab)
    const body = new ReadableStream({
      pull(controller) {
        controller.enqueue(sent === 0 ? Buffer.concat([JPEG, chunk]) : chunk)
        sent += chunk.length
      },
    })
    const err = await refusal(answer(body, 'image/jpeg'))
    expect(err.message).toMatch(/larger than 4 MB/)
    expect(sent).toBeLessThan(MAX_PHOTO_BYTES + 2 * chunk.length)
  })

  it('when the body breaks off while it arrives, then the provider is unavailable (retryable), not a bad photo', async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(JPEG)
        controller.error(new Error('socket hang up'))
      },
    })
    const err = await refusal(answer(body, 'image/jpeg'))
    expect(err).toMatchObject({ code: 'CONTACTS_UNAVAILABLE', retryable: true })
  })
})

describe('sniffPhotoType', () => {
  it('when bytes are too short for any signature, then they are no photo', () => {
    expect(sniffPhotoType(Buffer.from([0xff, 0xd8]))).toBeUndefined()
    expect(sniffPhotoType(Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'))).toBeUndefined()
  })
})
