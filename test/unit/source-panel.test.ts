// The Sources panel of /contacts, rendered from its view model: what a person reads about
// each connection's last import — under way, finished with what changed, or failed with
// the reason — and which button they get.
import express from 'express'
import { describe, expect, it } from 'vitest'
import type { ImportRun } from '../../src/imports/imports-store.ts'
import { VIEWS_DIR } from '../../src/paths.ts'
import type { ConnectionView } from '../../src/web/connection.ts'
import { sourcesView } from '../../src/web/sources-view.ts'

const connection: ConnectionView = {
  id: '11111111-1111-4111-8111-111111111111',
  providerId: 'demo',
  providerLabel: 'Demo Provider',
  account: 'alice@demo.example',
  status: 'active',
  connected: true,
  scopes: ['openid'],
  expiresAt: new Date('2026-03-01T10:00:00Z'),
  refreshedAt: undefined,
  connectedAt: new Date('2026-01-01T10:00:00Z'),
}

function run(overrides: Partial<ImportRun>): ImportRun {
  return {
    id: '22222222-2222-4222-8222-222222222222',
    personId: 'p',
    connectionId: connection.id,
    kind: 'incremental',
    state: 'completed',
    counts: { created: 3, updated: 2, deleted: 1, unchanged: 40, skipped: 0 },
    pagesDone: 1,
    total: 46,
    error: undefined,
    createdAt: new Date('2026-02-01T09:00:00Z'),
    startedAt: new Date('2026-02-01T09:00:01Z'),
    finishedAt: new Date('2026-02-01T09:00:05Z'),
    ...overrides,
  }
}

// Express renders the partial as the app does (same engine, same views folder).
const views = express()
views.set('views', VIEWS_DIR)
views.set('view engine', 'ejs')

async function panel(view: ConnectionView, latest?: ImportRun, contacts = 46): Promise<string> {
  const [source] = sourcesView(
    [view],
    new Map([[view.id, contacts]]),
    new Map(latest ? [[view.id, latest]] : []),
  )
  const html = await new Promise<string>((resolve, reject) =>
    views.render('partials/source', { source, csrfToken: () => 'token' }, (err, out) =>
      err ? reject(err) : resolve(out),
    ),
  )
  return html.replace(/\s+/g, ' ')
}

describe('the Sources panel', () => {
  it('when the last import finished, then it says when and what changed, links its report, and offers Import now', async () => {
    const html = await panel(connection, run({}))
    expect(html).toContain('46 contacts from here')
    expect(html).toContain(
      'Last import <time datetime="2026-02-01T09:00:05.000Z">2026-02-01 09:00 UTC</time>: 3 created, 2 updated, 1 deleted.',
    )
    expect(html).toContain('href="/imports/22222222-2222-4222-8222-222222222222"')
    expect(html).toContain(
      '<input type="hidden" name="connection" value="11111111-1111-4111-8111-111111111111">',
    )
    expect(html).toContain('Import now')
  })

  it('when it skipped records, then the count of skipped ones is said too', async () => {
    const html = await panel(
      connection,
      run({ counts: { created: 1, updated: 0, deleted: 0, unchanged: 0, skipped: 2 } }),
    )
    expect(html).toContain('1 created, 0 updated, 0 deleted, 2 skipped.')
  })

  it('when an import is under way, then the panel says so and links its progress', async () => {
    const html = await panel(connection, run({ state: 'active', finishedAt: undefined }))
    expect(html).toContain('Import under way (running).')
    expect(html).toContain('Follow its progress')
    const waiting = await panel(
      connection,
      run({ state: 'waiting', startedAt: undefined, finishedAt: undefined }),
    )
    expect(waiting).toContain('waiting to start')
  })

  it('when the last import failed, then the reason is shown as text, and Import now is the retry', async () => {
    const html = await panel(
      connection,
      run({
        state: 'failed',
        error: {
          code: 'CONTACTS_UNAVAILABLE',
          message: 'The provider is <b>down</b>.',
          retryable: true,
        },
      }),
    )
    expect(html).toContain('Last import failed')
    expect(html).toContain('The provider is &lt;b&gt;down&lt;/b&gt;.')
    expect(html).toContain('Import now')
  })

  it('when nothing was imported yet, then it says so', async () => {
    expect(await panel(connection, undefined, 0)).toContain('Not imported yet.')
  })

  it('when the connection needs reconnecting, then Reconnect starts the connect flow for this connection, and there is no Import now', async () => {
    const html = await panel({ ...connection, status: 'reconnect_needed', connected: false })
    expect(html).toMatch(
      /<form method="post" action="\/connect" class="inline"> <input type="hidden" name="_csrf" value="token"> <input type="hidden" name="connection" value="11111111-1111-4111-8111-111111111111"> <button type="submit">Reconnect Demo Provider<\/button>/,
    )
    expect(html).toContain('the contacts you have stay here until you remove them')
    expect(html).not.toContain('action="/import"')
    expect(html).not.toContain('Disconnect')
  })

  it('when the connection was disconnected, then it offers to connect again', async () => {
    const html = await panel({ ...connection, status: 'disconnected', connected: false })
    expect(html).toContain('<button type="submit">Connect Demo Provider</button>')
    expect(html).not.toContain('action="/import"')
  })

  it('whatever its state, then the panel links its own Remove this source page', async () => {
    for (const view of [
      connection,
      { ...connection, status: 'reconnect_needed' as const, connected: false },
      { ...connection, status: 'disconnected' as const, connected: false },
    ]) {
      expect(await panel(view)).toContain(
        '<a href="/connections/11111111-1111-4111-8111-111111111111/remove">Remove this source</a>',
      )
    }
  })
})
