// The keyset cursor of the contact list: the (sort key, id) of the last row shown, as
// base64url JSON. It is opaque to the person but not secret; whatever a person makes of
// it can only move the start of their own list, since every read is scoped to them.
import { AppError, ErrorCode } from '../errors.ts'

export interface ListPosition {
  sortKey: string
  id: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** A sort key is at most 200 characters (normalize.ts), 800 bytes; with room to spare. */
const MAX_CURSOR_CHARS = 2048

export const isUuid = (value: string) => UUID.test(value)

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.sortKey, position.id])).toString('base64url')
}

/** Throws AppError BAD_REQUEST (400) for anything encodeCursor did not make. */
export function decodeCursor(cursor: string): ListPosition {
  // Node's base64url decoder skips characters it does not know; checking first keeps a
  // mangled link from silently starting somewhere else.
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor()
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor()
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw badCursor()
  const [sortKey, id] = parsed as unknown[]
  // NUL cannot be sent to PostgreSQL as text: it would fail the query, a 500.
  if (typeof sortKey !== 'string' || sortKey.includes('\u0000')) throw badCursor()
  if (typeof id !== 'string' || !isUuid(id)) throw badCursor()
  return { sortKey, id }
}

function badCursor(): AppError {
  return new AppError(
    ErrorCode.BAD_REQUEST,
    'That page of the address book does not exist. Start again from the first page.',
    { status: 400 },
  )
}
