// What every Graph route reads of a request: the mailbox of the token's subject, whether
// immutable ids were asked for (and then say so: Preference-Applied, §8.3), the page size
// preference of delta (§4.3), and the absolute base for the links it hands out.
import type { Request, Response } from 'express'
import { readGrant } from '../bearer-auth.ts'

export interface GraphRequest {
  sub: string
  immutableIds: boolean
  maxPageSize: number | undefined
  /** `http://127.0.0.1:port/v1.0/` */
  base: string
}

export function readGraphRequest(req: Request, res: Response): GraphRequest {
  const sub = readGrant(res)?.sub as string
  const prefer = req.get('prefer') ?? ''
  const immutableIds = /IdType\s*=\s*"?ImmutableId"?/i.test(prefer)
  if (immutableIds) res.append('Preference-Applied', 'IdType="ImmutableId"')
  const size = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(prefer)?.[1]
  return {
    sub,
    immutableIds,
    maxPageSize: size === undefined ? undefined : Number(size),
    base: `${req.protocol}://${req.get('host')}/v1.0/`,
  }
}

/** One query parameter; repeated is invalid, as Graph answers it. */
export function param(req: Request, name: string): string | undefined | 'repeated' {
  const values = new URL(req.originalUrl, 'http://graph.invalid').searchParams.getAll(name)
  if (values.length > 1) return 'repeated'
  return values[0]
}

/**
 * The folder a route names (`/contactFolders/:folder/…`), or the default folder for the
 * `/me/contacts` routes; undefined when the mailbox has no such folder.
 */
export function requestedFolder(
  req: Request,
  box: { defaultFolder: string; folders: ReadonlyMap<string, unknown> },
): string | undefined {
  const named = req.params.folder
  const folder = typeof named === 'string' ? named : box.defaultFolder
  return folder === box.defaultFolder || box.folders.has(folder) ? folder : undefined
}
