// Signs in through the real provider pages — login form, consent form — the way a person
// in a browser would. Each step is separate so a test can stop before the callback.
// No test-framework imports: the benchmarks sign in with it too.
import { type Browser, formAction, type Hop } from './browser.ts'

export interface SignInOptions {
  username?: string
  password?: string
  consent?: 'allow' | 'deny'
  /** The page to start from (default /resource, which sends an anonymous visitor to sign in). */
  start?: string
  /** POSTs this form to `start` instead of a GET (POST /connect, with its CSRF token). */
  form?: Record<string, string>
}

/**
 * Runs the flow up to the provider's redirect back to the app and returns that callback
 * URL without requesting it.
 */
export async function authorizeAtProvider(
  browser: Browser,
  appUrl: string,
  options: SignInOptions = {},
): Promise<string> {
  const isCallback = (url: string) => url.startsWith(`${appUrl}/auth/callback/`)
  const start = options.start ?? '/resource'
  let hop: Hop = await browser.follow(`${appUrl}${start}`, {
    stopAt: isCallback,
    form: options.form,
  })
  for (let step = 0; step < 6; step++) {
    if (hop.location && isCallback(hop.location)) return hop.location
    if (hop.status !== 200) {
      throw new Error(`unexpected ${hop.status} at ${hop.url}: ${hop.body.slice(0, 300)}`)
    }
    if (hop.body.includes('/login"') && hop.body.includes('name="password"')) {
      hop = await browser.follow(formAction(hop.body, '/login', hop.url), {
        form: { username: options.username ?? 'alice', password: options.password ?? 'alice-demo' },
        stopAt: isCallback,
      })
    } else if (hop.body.includes('/confirm"')) {
      const target = options.consent === 'deny' ? '/abort' : '/confirm'
      hop = await browser.follow(formAction(hop.body, target, hop.url), {
        form: {},
        stopAt: isCallback,
      })
    } else {
      throw new Error(`neither a login nor a consent page at ${hop.url}: ${hop.body.slice(0, 300)}`)
    }
  }
  throw new Error('the provider never redirected back to the app')
}

/** The whole journey: provider pages, then the callback, then wherever the app sends us. */
export async function signIn(
  browser: Browser,
  appUrl: string,
  options: SignInOptions = {},
): Promise<Hop> {
  const callback = await authorizeAtProvider(browser, appUrl, options)
  return browser.follow(callback)
}
