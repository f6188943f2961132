// Loaded with `node --import` before main.ts, in plain JavaScript so that any old Node can
// run it: a Node without TypeScript type stripping would otherwise die on main.ts with
// ERR_UNKNOWN_FILE_EXTENSION and a stack. One line says what is wrong instead.
import { readFileSync } from 'node:fs'

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const wanted = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines.node)
const [major, minor] = process.versions.node.split('.').map(Number)
if (
  wanted &&
  (major < Number(wanted[1]) || (major === Number(wanted[1]) && minor < Number(wanted[2] ?? 0)))
) {
  console.error(
    `Contacts Importer needs Node.js ${engines.node}; this is ${process.version}. Install Node.js 24 LTS.`,
  )
  process.exit(1)
}
