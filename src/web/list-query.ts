// The query of the contact list: `q` (the search) and `after` (the keyset cursor), each a
// single string of bounded length. Anything else — a repeated parameter (`?q=a&q=b` is an
// array), a bracketed one (`?q[x]=1` is an object), an overlong value — is the client's
// mistake and a 400, never a query that fails later as a 500.
import { AppError, ErrorCode } from '../errors.ts'

export interface ListQuery {
  /** Trimmed; undefined when blank. */
  q: string | undefined
  after: string | undefined
}

/** Longer searches match nothing more (the store cuts them there too). */
export const MAX_QUERY_CHARS = 200
/** Cursors are at most 2,048 characters (address-book/list-cursor.ts). */
const MAX_CURSOR_CHARS = 2048

function single(query: Record<string, unknown>, name: string, max: number): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    throw new AppError(ErrorCode.BAD_REQUEST, `Give “${name}” once, as plain text.`, {
      status: 400,
    })
  }
  if (value.length > max) {
    throw new AppError(
      ErrorCode.BAD_REQUEST,
      name === 'q'
        ? `A search can be at most ${max} characters long.`
        : 'That page of the address book does not exist. Start again from the first page.',
      { status: 400 },
    )
  }
  return value
}

export function listQuery(query: Record<string, unknown>): ListQuery {
  const q = single(query, 'q', MAX_QUERY_CHARS)?.trim()
  const after = single(query, 'after', MAX_CURSOR_CHARS)
  return { q: q || undefined, after: after || undefined }
}
