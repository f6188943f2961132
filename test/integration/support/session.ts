// Looks into Redis and PostgreSQL the way an operator would: the session behind a browser's
// cookie, the person and connection it names, and the token record the connection points to.
import type { PendingChoice } from '../../../src/auth/session-data.ts'
import type { Connection } from '../../../src/people/people-store.ts'
import type { TokenRecord } from '../../../src/tokens/token-store.ts'
import type { Browser } from './browser.ts'
import type { TestStack } from './stack.ts'

export interface StoredSession {
  key: string
  personId?: string
  connectionIds?: string[]
  pendingChoice?: PendingChoice
}

/** The express-session id inside a signed `s:<id>.<signature>` cookie value. */
export function sessionIdOf(cookieValue: string): string {
  return decodeURIComponent(cookieValue).slice(2).split('.')[0] ?? ''
}

export async function storedSession(stack: TestStack, browser: Browser): Promise<StoredSession> {
  const cookie = await browser.cookie(stack.appUrl, 'ci.sid')
  if (!cookie) throw new Error('the browser has no session cookie')
  const key = `${stack.prefix}sess:${sessionIdOf(cookie)}`
  const raw = await stack.redis.get(key)
  if (!raw) throw new Error(`no session at ${key}`)
  return { key, ...(JSON.parse(raw) as Omit<StoredSession, 'key'>) }
}

/** The connection this browser's session signed in with last (from PostgreSQL). */
export async function storedConnection(stack: TestStack, browser: Browser): Promise<Connection> {
  const { personId, connectionIds } = await storedSession(stack, browser)
  const id = connectionIds?.at(-1)
  if (!personId || !id) throw new Error('the session names no person or connection')
  const connection = await services(stack).people.connection(personId, id)
  if (!connection) throw new Error(`no connection ${id}`)
  return connection
}

function services(stack: TestStack) {
  const app = stack.apps[0]
  if (!app) throw new Error('no app instance')
  return app.services
}

export async function storedTokens(
  stack: TestStack,
  browser: Browser,
): Promise<TokenRecord | undefined> {
  const { grantId, provider, subject } = await storedConnection(stack, browser)
  if (!grantId) return undefined
  return services(stack).tokens.load({ grantId, provider, subject })
}

/** Sends the refresh token to the provider's token endpoint ourselves, as a thief would. */
export async function presentRefreshToken(
  stack: TestStack,
  refreshToken: string,
  client: { id: string; secret: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const encode = (v: string) => encodeURIComponent(v).replace(/%20/g, '+')
  const response = await fetch(`${stack.demo.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encode(client.id)}:${encode(client.secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      resource: stack.demo.contactsAudience,
    }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}
