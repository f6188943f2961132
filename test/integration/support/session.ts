// Looks into Redis the way an operator would: the session behind a browser's cookie and the
// token record it points to.
import type { SessionUser } from '../../../src/auth/session-data.ts'
import type { TokenRecord } from '../../../src/tokens/token-store.ts'
import type { Browser } from './browser.ts'
import type { TestStack } from './stack.ts'

export interface StoredSession {
  key: string
  user?: SessionUser
  grantId?: string
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

export async function storedTokens(
  stack: TestStack,
  browser: Browser,
): Promise<TokenRecord | undefined> {
  const { grantId } = await storedSession(stack, browser)
  if (!grantId) return undefined
  const app = stack.apps[0]
  if (!app) throw new Error('no app instance')
  return app.services.tokens.load(grantId)
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
