// One GET to Microsoft Graph and its JSON body (contacts-apis.md §4.4), with the failures
// translated by the shared rules of source-errors.ts. Every request asks for immutable ids
// (`Prefer: IdType="ImmutableId"`, §4.1): without it an id changes when its contact moves
// to another folder, and the moved contact would be imported twice. Graph's error envelope
// is branched on by `code`, never by `message` (§4.4).
import { readCapped, readJsonObject } from '../../read-capped.ts'
import { fetchFailure, statusFailure } from '../../source-errors.ts'
import { type Item, isObject, str } from './json.ts'

/** Error bodies are a few hundred bytes; this only bounds what a refusal may make us read. */
const MAX_ERROR_BYTES = 64 * 1024
export const IMMUTABLE_IDS = 'IdType="ImmutableId"'

export interface GraphFetch {
  provider: string
  fetchResource: (
    accessToken: string,
    url: URL,
    headers?: Record<string, string>,
  ) => Promise<Response>
  /** Every request of one mailbox goes through it (at most 4 at once, §4.4). */
  limit: <T>(accessToken: string, call: () => Promise<T>) => Promise<T>
}

export interface GraphFetchOptions {
  maxBytes: number
  /** Extra Prefer preferences (delta's odata.maxpagesize). */
  prefer?: string
  /** A refusal this call understands better than the shared rules, from status and code. */
  refusal?: (status: number, code: string | undefined) => Error | undefined
}

/** The `error.code` of a Graph error body, or of its innerError when only that has one. */
function errorCodeOf(body: unknown): string | undefined {
  const error = isObject(body) && isObject(body.error) ? body.error : undefined
  return str(error?.code) ?? (isObject(error?.innerError) ? str(error.innerError.code) : undefined)
}

async function errorCode(response: Response): Promise<string | undefined> {
  try {
    return errorCodeOf(JSON.parse(await readCapped(response, MAX_ERROR_BYTES)))
  } catch {
    return undefined
  }
}

/** The response, or the translated failure: 404 is `undefined` when `notFound` allows it. */
export async function fetchGraph(
  deps: GraphFetch,
  accessToken: string,
  url: URL,
  options: GraphFetchOptions & { notFound?: 'undefined' },
): Promise<Item | undefined> {
  const { provider } = deps
  const prefer = [IMMUTABLE_IDS, ...(options.prefer ? [options.prefer] : [])].join(', ')
  return deps.limit(accessToken, async () => {
    let response: Response
    try {
      response = await deps.fetchResource(accessToken, url, { Prefer: prefer })
    } catch (err) {
      throw fetchFailure(provider, err)
    }
    if (!response.ok) {
      if (response.status === 404 && options.notFound === 'undefined') {
        await response.body?.cancel().catch(() => {})
        return undefined
      }
      if (options.refusal && response.status >= 400 && response.status < 500) {
        const refused = options.refusal(response.status, await errorCode(response.clone()))
        if (refused) {
          await response.body?.cancel().catch(() => {})
          throw refused
        }
      }
      throw statusFailure(provider, response)
    }
    return readJsonObject(provider, response, options.maxBytes)
  })
}

/** fetchGraph for a call where 404 is a failure like any other. */
export async function fetchJson(
  deps: GraphFetch,
  accessToken: string,
  url: URL,
  options: GraphFetchOptions,
): Promise<Item> {
  return (await fetchGraph(deps, accessToken, url, options)) as Item
}
