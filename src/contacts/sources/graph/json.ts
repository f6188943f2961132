// Reading untrusted Graph JSON: a field of the wrong type is read as absent, never as a
// failure of the page.
export type Item = Readonly<Record<string, unknown>>

export const isObject = (v: unknown): v is Item =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
/** A non-empty string (trimmed of nothing), else undefined. */
export const str = (v: unknown) => (typeof v === 'string' && v.trim().length > 0 ? v : undefined)
/** The objects of a JSON array; anything else is skipped, not a crash. */
export const list = (v: unknown): Item[] => (Array.isArray(v) ? v.filter(isObject) : [])
/** The non-empty strings of a JSON array. */
export const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.flatMap((s) => str(s) ?? []) : []
