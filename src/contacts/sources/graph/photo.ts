// A contact's photo at Graph (contacts-apis.md §4.2): `GET /me/contacts/{id}/photo/$value`
// answers the image bytes, 404 when there is none. The listing says nothing about photos and
// asking for each would cost a request per contact, so every contact is mapped with this
// path (§9.2: fetched lazily) and the bytes are read only when a person opens the photo.
// Before the access token goes anywhere:
//   - the path must have exactly that shape, around one id segment other than `.` and `..`,
//     and the URL is built again from the id under the configured contacts URL: a stored
//     path that was altered cannot send the token to another resource, host or API;
//   - with `Prefer: IdType="ImmutableId"`, as every request of the adapter (the ids stored
//     are immutable ones; fetch-json.ts);
//   - through the mailbox limiter (at most 4 requests at once, §4.4);
//   - a redirect is never followed: openid-client asks fetch for `redirect: 'manual'`, and
//     anything but 200 or 404 is a failure (source-errors.ts).
import { AppError, ErrorCode } from '../../../errors.ts'
import { type PhotoBytes, readPhoto } from '../../photo-bytes.ts'
import { fetchFailure, statusFailure } from '../../source-errors.ts'
import { type GraphFetch, IMMUTABLE_IDS } from './fetch-json.ts'

const PHOTO_PATH = /^\/me\/contacts\/([^/?#]+)\/photo\/\$value$/

/** The photo's path for a contact id, relative to the API root (`…/v1.0`). */
export const photoPath = (externalId: string) =>
  `/me/contacts/${encodeURIComponent(externalId)}/photo/$value`

/** The photo's URL under `api` (`<contacts URL>/v1.0/`), or undefined for any other path. */
export function photoUrl(fetchPath: string, api: URL): URL | undefined {
  const segment = PHOTO_PATH.exec(fetchPath)?.[1]
  if (segment === undefined) return undefined
  let id: string
  try {
    id = decodeURIComponent(segment)
  } catch {
    return undefined
  }
  // encodeURIComponent leaves dots alone: `..` would climb out of /me/contacts/.
  if (id === '.' || id === '..') return undefined
  const url = new URL(photoPath(id).slice(1), api)
  return url.origin === api.origin && url.pathname.startsWith(api.pathname) ? url : undefined
}

/** The photo, or undefined when Graph holds none (404). */
export async function fetchPhoto(
  http: GraphFetch,
  api: URL,
  accessToken: string,
  fetchPath: string,
): Promise<PhotoBytes | undefined> {
  const url = photoUrl(fetchPath, api)
  if (!url) {
    // Not a path this adapter makes: nothing is asked, with or without the token.
    throw new AppError(ErrorCode.NOT_FOUND, 'There is no photo to fetch for this contact.', {
      status: 404,
      provider: http.provider,
    })
  }
  return http.limit(accessToken, async () => {
    let response: Response
    try {
      response = await http.fetchResource(accessToken, url, { Prefer: IMMUTABLE_IDS })
    } catch (err) {
      throw fetchFailure(http.provider, err)
    }
    if (response.status === 404) {
      await response.body?.cancel().catch(() => {})
      return undefined
    }
    if (response.status !== 200) throw statusFailure(http.provider, response)
    return readPhoto(http.provider, response)
  })
}
