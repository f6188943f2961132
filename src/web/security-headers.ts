// App-wide response headers. No third-party resources and no referrer leaks, so a code or
// state in a URL never travels on (RFC 9700 §4.2.4); no framing of our buttons
// (clickjacking, RFC 9700 §4.16 / RFC 6819 §4.4.1.9).
import type { RequestHandler } from 'express'
import helmet from 'helmet'

export function securityHeaders(options: {
  https: boolean
  formTargets: string[]
}): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        // Our own files only (the progress page's script), never inline: an injected
        // <script> or on* attribute does not run.
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        // Forms post to us; the sign-in redirect chain continues to the providers.
        'form-action': ["'self'", ...options.formTargets],
        'frame-ancestors': ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  })
}
