// A worker process, as `npm run worker` starts one (src/worker-main.ts: the runtime, a
// worker, SIGTERM and SIGINT handled by exitOnSignals), with the test's shorter BullMQ
// timings and retry delays given as JSON in argv[2]. Its environment is the stack's. The
// log goes to stdout as JSON lines, for the test to wait on and look at.
import { loadConfig } from '../../../src/config.ts'
import { exitOnSignals } from '../../../src/exit-on-signals.ts'
import { createLogger } from '../../../src/log.ts'
import { startWorker, type WorkerOptions } from '../../../src/worker-main.ts'

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions
const config = loadConfig(process.env)
const log = createLogger({ level: 'debug' })
const running = await startWorker(config, log, options)
exitOnSignals(running.close, log)
