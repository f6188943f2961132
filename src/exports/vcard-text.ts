// The text rules of a vCard 4.0 content line (RFC 6350 §3): escaping of TEXT values
// (§3.4), quoting of parameter values (§5 with RFC 6868's caret encoding), and folding at
// 75 octets (§3.2). Kept apart from the field mapping (vcard.ts) so that each rule is tested
// on its own: a slip in any of them lets a contact's own text add or break properties.

/**
 * TEXT value (§3.4): backslash, comma and every line break escaped. A semicolon is escaped
 * only inside the components of a compound value (N, ADR, ORG), where it separates them:
 * §3.4 makes escaping it elsewhere optional, and readers that unescape it only where it can
 * separate something (ical.js among them) would show the backslash.
 */
export function escapeText(value: string, inCompound = false): string {
  return (
    value
      .replace(inCompound ? /[\\,;]/g : /[\\,]/g, (c) => `\\${c}`)
      .replace(/\r\n|\r|\n/g, '\\n')
      // VALUE-CHAR (§3.3) has no other controls; a reader may take one for the line's end.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
  )
}

/** A compound value (N, ADR, ORG): each component escaped on its own, joined with `;`. */
export function structured(components: ReadonlyArray<string | undefined>): string {
  return components.map((c) => escapeText(c ?? '', true)).join(';')
}

/** A multi-valued TEXT property (NICKNAME, CATEGORIES): each value escaped, joined with `,`. */
export function textList(values: readonly string[]): string {
  return values.map((v) => escapeText(v)).join(',')
}

/**
 * A URI value is not TEXT-escaped (§3.4 applies to TEXT), so what could end the line or
 * be unescaped by a reader is percent-encoded instead: controls, spaces, `"` and `\`, none
 * of which a URI may hold (RFC 3986 §2). Commas and semicolons stay: they are reserved
 * characters of the URI itself, and encoding them would change what it points to.
 */
export function uriValue(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: controls are what is encoded here
  return value.replace(/[\u0000-\u0020\u007f"\\]/g, (c) => encodeURIComponent(c))
}

/** SAFE-CHAR of §3.3: a parameter value made only of these needs no quotes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: controls are what makes it unsafe
const SAFE_PARAM = /^[^\u0000-\u001f\u007f";:,]*$/

/**
 * A parameter value: as is when safe, else quoted with RFC 6868's caret encoding for what
 * a quoted value cannot hold (`^` → `^^`, line break → `^n`, `"` → `^'`).
 */
export function paramValue(value: string): string {
  if (SAFE_PARAM.test(value)) return value
  const encoded = value
    .replace(/\^/g, '^^')
    .replace(/\r\n|\r|\n/g, '^n')
    .replace(/"/g, "^'")
    // Other controls have no encoding and no meaning in a label.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
    .replace(/[\u0000-\u001f\u007f]/g, '')
  return `"${encoded}"`
}

const encoder = new TextEncoder()
const octets = (text: string) => encoder.encode(text).length

/**
 * Folds a content line into lines of at most 75 octets, CRLF-terminated; each
 * continuation starts with one space, which counts towards its 75 (§3.2). Splits only
 * between characters (code points), never inside a UTF-8 sequence, and never between a
 * backslash and the character it escapes.
 */
export function foldLine(line: string): string {
  if (octets(line) <= 75) return `${line}\r\n`
  const lines: string[] = []
  let current = ''
  let size = 0
  const units = line.match(/\\.|[\s\S]/gu) ?? []
  for (const unit of units) {
    const length = octets(unit)
    const limit = lines.length === 0 ? 75 : 74
    if (size + length > limit) {
      lines.push(current)
      current = ''
      size = 0
    }
    current += unit
    size += length
  }
  lines.push(current)
  return `${lines.join('\r\n ')}\r\n`
}
