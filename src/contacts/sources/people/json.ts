// Reading untrusted People JSON: a field of the wrong type is read as absent, never as a
// failure of the page.
export type Item = Readonly<Record<string, unknown>>

export const isObject = (v: unknown): v is Item =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
/** A non-empty string, else undefined. */
export const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined)
/** The objects of a JSON array; anything else (null, a string) is skipped, not a crash. */
export const list = (v: unknown): Item[] => (Array.isArray(v) ? v.filter(isObject) : [])
/** A count Google sends (int32 in JSON as a number); anything else is unknown. */
export const count = (v: unknown) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined
