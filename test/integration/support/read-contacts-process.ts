// A second process that reads one connection's contacts as an import worker does
// (createRuntime, then readPages with the vault's tokens), on the stack's Redis, PostgreSQL
// and provider:
// the crash tests kill it while it holds the refresh lease. Configured by the environment
// (the stack's, plus PERSON_ID and CONNECTION_ID); prints "reading", then "read <n>".
import { loadConfig } from '../../../src/config.ts'
import { createLogger } from '../../../src/log.ts'
import { createRuntime } from '../../../src/runtime.ts'
import { connectionPages } from './read-contacts.ts'

const config = loadConfig(process.env)
const runtime = await createRuntime(config, createLogger({ level: 'warn' }))
const connection = await runtime.services.people.connection(
  String(process.env.PERSON_ID),
  String(process.env.CONNECTION_ID),
)
if (!connection) throw new Error('no such connection')
process.stdout.write('reading\n')
let contacts = 0
for await (const page of connectionPages(runtime, connection)) contacts += page.contacts.length
process.stdout.write(`read ${contacts}\n`)
await runtime.close()
