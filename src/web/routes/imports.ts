// Import runs: start one (POST /import), watch it (the progress page, its events, its
// JSON), and download the records it skipped. Every run id is looked up within the signed-in
// person's runs only, so another person's id is a 404 everywhere.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify'
import express, { type Request, type RequestHandler, type Router } from 'express'
import { requireUser } from '../../auth/require-user.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import { type ImportEvents, snapshotOf } from '../../imports/import-events.ts'
import type { ImportRun, ImportsReader } from '../../imports/imports-store.ts'
import type { ImportStarter } from '../../imports/start-imports.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import { providerLabel } from '../connection.ts'
import { requireCsrf } from '../csrf.ts'
import { createEventStream, type EventStreamOptions } from '../import-events-stream.ts'
import { importView } from '../import-view.ts'
import { noStore } from '../no-store.ts'

/** The skipped records shown on the page; the CSV has them all. */
const SKIPS_SHOWN = 100

const notFound = () =>
  new AppError(ErrorCode.NOT_FOUND, 'There is no such import.', { status: 404 })

/** `connection` is one id or absent; a repeated field names two, which is refused. */
function connectionField(req: Request): string | undefined {
  const value: unknown = req.body?.connection
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') {
    throw new AppError(ErrorCode.BAD_REQUEST, 'Name one connection to import.', { status: 400 })
  }
  return value
}

export function createImportRoutes(deps: {
  starter: ImportStarter
  reader: ImportsReader
  events: ImportEvents
  providers: ReadonlyMap<string, ProviderClient>
  /** Import starts per person (web/rate-limit.ts). */
  limiter: RequestHandler
  stream?: EventStreamOptions
}): Router {
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 })
  const { reader } = deps

  async function runOf(req: Request): Promise<ImportRun> {
    const run = await reader.get(req.session.personId as string, String(req.params.id))
    if (!run) throw notFound()
    return run
  }

  async function firstSkips(personId: string, runId: string) {
    const shown = []
    for await (const batch of reader.skips(personId, runId)) {
      shown.push(...batch)
      if (shown.length >= SKIPS_SHOWN) break
    }
    return shown.slice(0, SKIPS_SHOWN)
  }

  router.use(['/import', '/imports'], noStore)

  router.post('/import', form, requireUser, deps.limiter, requireCsrf, async (req, res) => {
    const runs = await deps.starter.start(req.session.personId as string, connectionField(req))
    const first = runs[0]
    if (!first) throw notFound()
    res.redirect(303, `/imports/${first.id}`)
  })
  router.all('/import', (_req, res) => {
    res.set('Allow', 'POST')
    throw new AppError(ErrorCode.METHOD_NOT_ALLOWED, 'Use the "Import now" button for this.', {
      status: 405,
    })
  })

  router.get('/imports/:id', requireUser, async (req, res) => {
    const run = await runOf(req)
    const snapshot = snapshotOf(run)
    res.vary('Accept')
    // For scripts and monitoring (and `*/*`, as elsewhere): the snapshot the events carry.
    const wanted = req.accepts(['json', 'html'])
    if (wanted === 'json') {
      res.json({
        id: snapshot.id,
        state: snapshot.state,
        kind: snapshot.kind,
        counts: snapshot.counts,
        pagesDone: snapshot.pagesDone,
        total: snapshot.total,
        error: snapshot.error,
      })
      return
    }
    if (wanted !== 'html') {
      throw new AppError(ErrorCode.BAD_REQUEST, 'This page is HTML or JSON.', { status: 406 })
    }
    const connection = res.locals.person?.connections.find((c) => c.id === run.connectionId)
    const providerId = connection?.provider ?? ''
    const view = importView(snapshot, {
      id: providerId,
      label: providerLabel(deps.providers, providerId),
    })
    const skipped =
      view.finished && run.counts.skipped > 0
        ? await firstSkips(req.session.personId as string, run.id)
        : []
    res.render('pages/import', {
      title: view.heading,
      view,
      skipped,
      // Without JavaScript the page reloads itself while the run goes on.
      refreshSeconds: view.finished ? undefined : 3,
      script: view.finished ? undefined : 'import-progress.js',
    })
  })

  router.get(
    '/imports/:id/events',
    requireUser,
    createEventStream({ ...deps, options: deps.stream }),
  )

  router.get('/imports/:id/skipped.csv', requireUser, async (req, res) => {
    const run = await runOf(req)
    res.type('text/csv; charset=utf-8')
    res.attachment(`import-${run.id}-skipped.csv`)
    const personId = req.session.personId as string
    async function* rows() {
      for await (const batch of reader.skips(personId, run.id)) {
        for (const skip of batch) yield [skip.externalId ?? '', skip.reason]
      }
    }
    // A BOM so that spreadsheet programs read it as UTF-8 (RFC 4180 quoting by csv-stringify).
    await pipeline(
      Readable.from(rows()),
      stringify({ bom: true, header: true, columns: ['provider id', 'reason'] }),
      res,
    )
  })

  return router
}
