// GET /contacts/:id/photo: the photo a provider may hold for one of the person's contacts
// (Graph's, which the listing does not give), fetched when the person opens it, through the
// contact's own connection, and served from this origin — the pages load images from
// nowhere else (CSP img-src 'self'). What makes it safe to serve:
//   - the contact must be the signed-in person's: another person's id, a malformed one, a
//     contact without such a photo (People's photos are links to their URL) are one 404;
//   - the access token comes from the vault for that contact's connection and goes only to
//     the URL the contact's source builds under the provider's contacts URL (never a
//     redirect, contacts/sources/graph/photo.ts), refreshed and tried once more when the
//     provider refuses it (withAccessToken, as every page of an import);
//   - only a JPEG, PNG, GIF or WebP of at most 4 MB whose bytes are what its type says
//     (contacts/photo-bytes.ts), sent with that Content-Type, nosniff, a CSP of its own
//     under which nothing loads or runs even if the bytes were opened as a document, and a
//     short private cache life that varies with the cookie, so that whoever signs in next
//     on the same browser does not get it from the cache;
//   - on a budget of the person's own (`limit`): each view is a request to the provider,
//     whose per-mailbox limit the imports share.
// A connection that has ended is a 403 that says to reconnect; the provider's 404 a 404
// that says there is no photo there; its failures the 502s of source-errors.ts. A GET
// revokes nothing and marks no connection: the next import finds a useless grant and does.
import express, { type RequestHandler, type Router } from 'express'
import type { ContactsStore } from '../../address-book/contacts-store.ts'
import { requireUser } from '../../auth/require-user.ts'
import { isPhotoOnDemand } from '../../contacts/contact.ts'
import type { ContactSource } from '../../contacts/contact-source.ts'
import type { PhotoType } from '../../contacts/photo-bytes.ts'
import { withAccessToken } from '../../contacts/read-pages.ts'
import { AppError, ErrorCode, reconnectNeeded } from '../../errors.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import type { Connections } from '../../people/connections.ts'
import { providerLabel } from '../connection.ts'

/**
 * How long the browser may keep a photo: opening it again within minutes costs no request
 * at the provider, and a photo changed there shows soon enough.
 */
export const PHOTO_MAX_AGE_SECONDS = 300

/**
 * The bytes are an image, shown on its own or by our pages: nothing else may load, no
 * script may run (sandbox), no one may frame it. Browsers style the page that shows an
 * image on its own with inline CSS, hence style-src.
 */
export const PHOTO_CSP =
  "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"

const EXTENSIONS: Record<PhotoType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
}

const noPhotoToFetch = () =>
  new AppError(ErrorCode.NOT_FOUND, 'There is no photo to fetch for this contact.', {
    status: 404,
  })

export function createContactPhotoRoutes(deps: {
  contacts: ContactsStore
  connections: Connections
  /** One contacts source per configured provider (services.contactSources). */
  sources: ReadonlyMap<string, ContactSource>
  providers: ReadonlyMap<string, ProviderClient>
  /** The person's budget of photo requests. */
  limit: RequestHandler
}): Router {
  const router = express.Router()

  router.get('/contacts/:id/photo', requireUser, deps.limit, async (req, res) => {
    const personId = req.session.personId as string
    const id = req.params.id
    // Another person's contact is answered exactly like one that does not exist.
    const stored = typeof id === 'string' ? await deps.contacts.get(personId, id) : undefined
    const photo = stored?.contact.photos.find(isPhotoOnDemand)
    const source = stored && deps.sources.get(stored.provider)
    const connection = res.locals.person?.connections.find((c) => c.id === stored?.connectionId)
    if (!stored || !photo || !source?.fetchPhoto || !connection) throw noPhotoToFetch()
    const label = providerLabel(deps.providers, stored.provider)
    if (connection.status !== 'active') {
      throw reconnectNeeded(stored.provider, {
        message: `Access to ${label} has ended, so its photos cannot be fetched — reconnect to see this one.`,
      })
    }
    const fetchPhoto = source.fetchPhoto.bind(source)
    const found = await withAccessToken(
      { source, accessToken: (options) => deps.connections.accessToken(connection, options) },
      (accessToken) => fetchPhoto(accessToken, photo.fetchPath),
    )
    if (!found) {
      throw new AppError(ErrorCode.NOT_FOUND, `No photo at ${label} for this contact.`, {
        status: 404,
        provider: stored.provider,
      })
    }
    res.set({
      'Content-Type': found.contentType,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': PHOTO_CSP,
      'Cache-Control': `private, max-age=${PHOTO_MAX_AGE_SECONDS}`,
      'Content-Disposition': `inline; filename="photo.${EXTENSIONS[found.contentType]}"`,
    })
    res.vary('Cookie')
    res.send(found.bytes)
  })

  return router
}
