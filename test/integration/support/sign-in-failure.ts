// A failed callback answers with a 303 to a clean URL (RFC 9700 §4.3: the code and state
// must not stay in the browser's history); the page is shown there. Tests that expect a
// failure page follow that one hop, after checking it carries neither code nor state.
import { expect } from 'vitest'
import type { Hop } from './browser.ts'

export async function followSignInFailure(hop: Hop, accept = 'text/html'): Promise<Hop> {
  if (hop.status !== 303 || !hop.location?.includes('/sign-in/failed')) return hop
  const target = new URL(hop.location)
  expect(target.pathname).toBe('/sign-in/failed')
  for (const name of ['code', 'state', 'iss', 'session_state']) {
    expect(target.searchParams.has(name)).toBe(false)
  }
  expect(hop.headers.get('referrer-policy')).toBe('no-referrer')
  // The page needs no cookie: the id names the failure, for one view.
  const response = await fetch(target, { headers: { accept }, redirect: 'manual' })
  return {
    url: target.href,
    status: response.status,
    location: response.headers.get('location') ?? undefined,
    headers: response.headers,
    body: await response.text(),
  }
}
