// A contact photo's bytes as a provider answers them, checked before anyone serves them:
//   - only JPEG, PNG, GIF and WebP: formats every browser shows as an image and none runs as
//     a document (SVG can carry script; HTML or JSON labelled as an image is refused);
//   - declared so by the provider *and* starting with that format's signature, so the
//     Content-Type we send on is what the bytes are, whatever the provider (or a proxy in
//     its place) claimed;
//   - at most MAX_PHOTO_BYTES held in memory: Outlook keeps contact photos well under that.
// Any adapter that serves photos on demand reads its answer through readPhoto.
import type { Buffer } from 'node:buffer'
import { BodyTooLargeError, readCappedBytes } from './read-capped.ts'
import { contactsBadResponse, contactsUnavailable } from './source-errors.ts'

export const MAX_PHOTO_BYTES = 4 * 1024 * 1024

export type PhotoType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp'

export interface PhotoBytes {
  contentType: PhotoType
  bytes: Buffer
}

/** Declared media types we accept, and the type each is served as. */
const DECLARED: Readonly<Record<string, PhotoType>> = {
  'image/jpeg': 'image/jpeg',
  // Seen from older servers for JPEG; served under its registered name.
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/png': 'image/png',
  'image/gif': 'image/gif',
  'image/webp': 'image/webp',
}

const ascii = (bytes: Buffer, at: number, text: string) =>
  bytes.subarray(at, at + text.length).toString('latin1') === text

/** What the bytes are, by their signature; undefined for anything else. */
export function sniffPhotoType(bytes: Buffer): PhotoType | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (ascii(bytes, 0, '\x89PNG\r\n\x1a\n')) return 'image/png'
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'image/gif'
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp'
  return undefined
}

const NOT_A_PHOTO =
  'Your contacts provider sent something other than a JPEG, PNG, GIF or WebP photo, so it is not shown.'
const TOO_LARGE = `This photo is larger than ${MAX_PHOTO_BYTES / 1024 / 1024} MB, more than this app shows.`

/** The media type of a Content-Type value, lower case, without its parameters. */
const mediaType = (value: string | null) => (value ?? '').split(';')[0]?.trim().toLowerCase() ?? ''

/** A 200 answer's photo, or CONTACTS_BAD_RESPONSE (not an image we show, or too large). */
export async function readPhoto(provider: string, response: Response): Promise<PhotoBytes> {
  const declared = DECLARED[mediaType(response.headers.get('content-type'))]
  if (!declared) {
    await response.body?.cancel().catch(() => {})
    const type = mediaType(response.headers.get('content-type')).slice(0, 80) || 'none'
    throw contactsBadResponse(provider, new Error(`a photo of type ${type}`), NOT_A_PHOTO)
  }
  let bytes: Buffer
  try {
    bytes = await readCappedBytes(response, MAX_PHOTO_BYTES)
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw contactsBadResponse(provider, err, TOO_LARGE)
    // The connection broke or the request's deadline passed while the body arrived.
    throw contactsUnavailable(provider, { cause: err })
  }
  const actual = sniffPhotoType(bytes)
  if (actual !== declared) {
    throw contactsBadResponse(
      provider,
      new Error(`a photo declared ${declared} whose bytes are ${actual ?? 'no image we know'}`),
      NOT_A_PHOTO,
    )
  }
  return { contentType: actual, bytes }
}
