// A scripted browser: fetch with a cookie jar (tough-cookie honours Path, so the provider's
// path-scoped interaction cookies behave as in a real browser) and manual redirects, so a
// test can stop anywhere in the flow and look at each hop.
import { CookieJar } from 'tough-cookie'

export interface Hop {
  url: string
  status: number
  location: string | undefined
  headers: Headers
  body: string
  /** The body as received, for answers that are not text (a photo); Browser sets it. */
  bytes?: Uint8Array
}

export class Browser {
  readonly jar = new CookieJar()
  /** Every response this browser received, in order. */
  readonly history: Hop[] = []

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Hop> {
    const headers = new Headers(init.headers)
    if (!headers.has('accept')) headers.set('accept', 'text/html,application/xhtml+xml')
    const cookie = await this.jar.getCookieString(url)
    if (cookie) headers.set('cookie', cookie)
    let body: string | undefined
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded')
      body = new URLSearchParams(init.form).toString()
    }
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    })
    for (const setCookie of response.headers.getSetCookie()) {
      await this.jar.setCookie(setCookie, url, { ignoreError: true })
    }
    const location = response.headers.get('location') ?? undefined
    const bytes = new Uint8Array(await response.arrayBuffer())
    const hop: Hop = {
      url,
      status: response.status,
      location: location ? new URL(location, url).href : undefined,
      headers: response.headers,
      body: new TextDecoder().decode(bytes),
      bytes,
    }
    this.history.push(hop)
    return hop
  }

  /**
   * Follows redirects from `url` until a page answers without one, or until `stopAt`
   * says the next URL should not be requested (it is returned in `location`).
   */
  async follow(
    url: string,
    options: {
      stopAt?: (next: string) => boolean
      method?: string
      form?: Record<string, string>
    } = {},
  ): Promise<Hop> {
    let hop = await this.request(url, { method: options.method, form: options.form })
    for (let i = 0; i < 20 && hop.location && hop.status >= 300 && hop.status < 400; i++) {
      if (options.stopAt?.(hop.location)) return hop
      hop = await this.request(hop.location)
    }
    return hop
  }

  async cookie(url: string, name: string): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(url)
    return cookies.find((c) => c.key === name)?.value
  }
}

/** The value of a hidden or text input in an HTML form. */
export function formValue(html: string, name: string): string | undefined {
  const match = new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)
  return match?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
}

/** The action URL of the first form whose action contains `fragment`. */
export function formAction(html: string, fragment: string, base: string): string {
  const actions = [...html.matchAll(/<form[^>]*action="([^"]+)"/g)].map((m) => m[1] ?? '')
  const action = actions.find((a) => a.includes(fragment))
  if (!action) throw new Error(`no form with an action containing ${fragment}`)
  return new URL(action.replace(/&amp;/g, '&'), base).href
}
