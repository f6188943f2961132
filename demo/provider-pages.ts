// Pages oidc-provider renders itself (errors, RP-initiated logout), in the demo provider's
// look: escaped, first-party assets only (the library's defaults load a third-party font).
import { escapeHtml } from './escape-html.ts'

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · Demo Provider</title>
  <link rel="stylesheet" href="/provider.css">
</head>
<body>
  <main class="card">
    <p class="brand">Demo Provider <span>local OpenID Connect server</span></p>
    ${body}
  </main>
</body>
</html>`
}

export function errorPage(out: object): string {
  const rows = Object.entries(out)
    .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('')
  return page(
    'Error',
    `<h1>This request could not be completed</h1><dl class="details">${rows}</dl>`,
  )
}

/** `form` is oidc-provider's hidden logout form (id op.logoutForm, with its CSRF field). */
export function logoutPage(form: string, clientName: string | undefined): string {
  const who = clientName ? `You signed out of <strong>${escapeHtml(clientName)}</strong>. ` : ''
  return page(
    'Sign out',
    `<h1>Sign out of the Demo Provider too?</h1>
    <p>${who}Also ending your session here means the next person using this browser has to sign in again.</p>
    ${form}
    <div class="actions">
      <button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
      <button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>
    </div>`,
  )
}

export function signedOutPage(): string {
  return page('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>')
}
