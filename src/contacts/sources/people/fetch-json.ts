// One GET to the People API and its JSON body, with the failures translated by the shared
// rules of source-errors.ts. The body is read with a cap: whatever answers in the provider's
// place must not make us hold an unbounded body in memory.
import { readCapped, readJsonObject } from '../../read-capped.ts'
import { fetchFailure, statusFailure } from '../../source-errors.ts'
import type { Item } from './json.ts'

/** Error bodies are a few hundred bytes; this only bounds what a refusal may make us read. */
const MAX_ERROR_BYTES = 64 * 1024

export interface PeopleFetch {
  provider: string
  fetchResource: (accessToken: string, url: URL) => Promise<Response>
}

export interface FetchJsonOptions {
  maxBytes: number
  /**
   * A refusal this call understands better than the shared rules: given the status and the
   * parsed error body (undefined when unreadable), an error to throw, or undefined.
   */
  refusal?: (status: number, body: unknown) => Error | undefined
  /** Which statuses `refusal` wants to see; their body is read, the others' are not. */
  refusalStatuses?: readonly number[]
}

async function errorBody(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await readCapped(response, MAX_ERROR_BYTES))
  } catch {
    return undefined
  }
}

export async function fetchJson(
  deps: PeopleFetch,
  accessToken: string,
  url: URL,
  options: FetchJsonOptions,
): Promise<Item> {
  const { provider } = deps
  let response: Response
  try {
    response = await deps.fetchResource(accessToken, url)
  } catch (err) {
    throw fetchFailure(provider, err)
  }
  if (!response.ok) {
    if (options.refusal && options.refusalStatuses?.includes(response.status)) {
      const refused = options.refusal(response.status, await errorBody(response))
      if (refused) throw refused
    }
    throw statusFailure(provider, response)
  }

  return readJsonObject(provider, response, options.maxBytes)
}
