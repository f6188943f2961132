// What a Graph read carries from page to page, and from one read to the next. Graph keeps
// one delta round per contact folder (contacts-apis.md §4.3), so:
//   - the sync token is every folder's whole `@odata.deltaLink`, as handed out (§10.1:
//     stored only once the round's last page is committed, which run-import does);
//   - a page cursor is the URL to GET next (checked by read-pages against the contacts URL)
//     plus this state: the folders still to read and the deltaLinks of those already done.
// Both are opaque to the engine. They are ours, not the provider's, so they carry a version:
// anything else we are handed (an older format, a People token) is an expired sync token,
// which the engine meets with one full read.
import { Buffer } from 'node:buffer'
import { isObject, str } from './json.ts'

export interface SyncState {
  /** The default folder's id; null while the default folder is empty (it has no id then). */
  defaultFolder: string | null
  /** Folder id → its deltaLink. */
  links: Record<string, string>
}

export interface RoundState extends SyncState {
  /** Every contact folder of the mailbox as listed at the start of this read. */
  folders: string[]
  /** The folder whose round the cursor's URL belongs to. */
  current: string
  /** Folders still to read after it, each from its deltaLink, or from the start (''). */
  todo: Array<{ folder: string; from: string }>
}

const PREFIX = 'graph1.'

function encode(value: unknown): string {
  return PREFIX + Buffer.from(JSON.stringify(value)).toString('base64url')
}

function decode(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith(PREFIX)) return undefined
  try {
    const parsed: unknown = JSON.parse(
      Buffer.from(text.slice(PREFIX.length), 'base64url').toString(),
    )
    return isObject(parsed) ? { ...parsed } : undefined
  } catch {
    return undefined
  }
}

function linksOf(v: unknown): Record<string, string> | undefined {
  if (!isObject(v)) return undefined
  const links: Record<string, string> = {}
  for (const [folder, link] of Object.entries(v)) {
    const url = str(link)
    if (!url) return undefined
    links[folder] = url
  }
  return links
}

export const encodeSyncState = (state: SyncState): string =>
  encode({ defaultFolder: state.defaultFolder, links: state.links })

export function decodeSyncState(token: string): SyncState | undefined {
  const value = decode(token)
  const links = linksOf(value?.links)
  const defaultFolder = value?.defaultFolder === null ? null : str(value?.defaultFolder)
  if (!links || defaultFolder === undefined) return undefined
  return { defaultFolder, links }
}

export const encodeRoundState = (state: RoundState): string => encode(state)

export function decodeRoundState(text: string): RoundState | undefined {
  const value = decode(text)
  const sync = value && decodeSyncState(encode(value))
  if (!value || !sync) return undefined
  const folders = Array.isArray(value.folders) ? value.folders.flatMap((f) => str(f) ?? []) : []
  const current = str(value.current)
  const todo = Array.isArray(value.todo)
    ? value.todo.flatMap((t) =>
        isObject(t) && str(t.folder) && typeof t.from === 'string'
          ? [{ folder: t.folder as string, from: t.from }]
          : [],
      )
    : []
  if (!current) return undefined
  return { ...sync, folders, current, todo }
}
