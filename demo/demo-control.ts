// GET /__demo: a page on the demo contacts server with one button per demo user that makes a
// few changes to that user's contacts (demo-changes.ts), so that the next import in the app
// is an incremental one with something to report. The demo only listens on loopback, and the
// page changes nothing but demo data, so there is no CSRF token; a change still needs a POST
// with a form body, so a link or an image cannot trigger one.
import type { Request, RequestHandler, Response, Router } from 'express'
import express from 'express'
import type { ContactDirectory } from './contact-directory.ts'
import { type DemoChange, type DemoChanges, makeDemoChanges } from './demo-changes.ts'
import { escapeHtml } from './escape-html.ts'

export const DEMO_CONTROL_PATH = '/__demo'

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data']

// A page of our own on a JSON API: nothing but itself and inline styles may load.
const pageHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  })
  next()
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · Demo contacts server</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
    table { border-collapse: collapse; width: 100%; }
    td, th { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #ddd; }
    button { font: inherit; padding: .3rem .8rem; }
  </style>
</head>
<body>
  <main>
    <p>Demo contacts server <small>(Google People API v1 shape)</small></p>
    ${body}
  </main>
</body>
</html>`
}

function controlPage(directory: ContactDirectory): string {
  const rows = directory
    .subjects()
    .map((sub) => {
      const count = directory.people(sub).length
      const action = `${DEMO_CONTROL_PATH}/users/${encodeURIComponent(sub)}/changes`
      return `<tr><th scope="row">${escapeHtml(sub)}</th><td>${count} contacts</td>
      <td><form method="post" action="${escapeHtml(action)}">
        <button type="submit">Make a few changes</button>
      </form></td></tr>`
    })
    .join('\n')
  return page(
    'Change demo contacts',
    `<h1>Change a demo user's contacts</h1>
    <p>Each button does what a person might do in their address book between two imports:
    it adds 2 contacts, edits 3 and deletes 1. Then import again in the app: the incremental
    import reports exactly those changes.</p>
    <table><tbody>${rows}</tbody></table>`,
  )
}

const items = (changes: readonly DemoChange[]) =>
  changes.length === 0
    ? '<li>none</li>'
    : changes
        .map(
          (c) => `<li>${escapeHtml(c.label)} <small>(${escapeHtml(c.resourceName)})</small></li>`,
        )
        .join('')

function changedPage(sub: string, changes: DemoChanges): string {
  return page(
    'Contacts changed',
    `<h1>Changed ${escapeHtml(sub)}'s contacts</h1>
    <h2>Added (${changes.added.length})</h2><ul>${items(changes.added)}</ul>
    <h2>Edited (${changes.edited.length})</h2><ul>${items(changes.edited)}</ul>
    <h2>Deleted (${changes.deleted.length})</h2><ul>${items(changes.deleted)}</ul>
    <p>Import again in the app to see only these changes.</p>
    <p><a href="${DEMO_CONTROL_PATH}">Back</a></p>`,
  )
}

export function createDemoControl(directory: ContactDirectory): Router {
  const router = express.Router()
  router.use(DEMO_CONTROL_PATH, pageHeaders)

  router.get(DEMO_CONTROL_PATH, (_req: Request, res: Response) => {
    res.type('html').send(controlPage(directory))
  })

  router.post(`${DEMO_CONTROL_PATH}/users/:sub/changes`, (req: Request, res: Response) => {
    if (!req.is(FORM_TYPES)) {
      res.status(415).type('text').send('Send the form on /__demo (a form body is required).')
      return
    }
    const sub = String(req.params.sub)
    if (!directory.subjects().includes(sub)) {
      res.status(404).type('text').send('No such demo user.')
      return
    }
    res.type('html').send(changedPage(sub, makeDemoChanges(directory, sub)))
  })
  return router
}
