// Structured logs (pino). Tokens, codes and secrets are treated as passwords (RFC 9700
// §4.9.3): they are redacted by path here and stripped from logged URLs, and no code
// path logs a token record or a token response in the first place.
import { pino } from 'pino'

export type Logger = pino.Logger

/** Query parameters that carry credentials or one-time values in OAuth redirects. */
const SECRET_PARAMS = new Set([
  'code',
  'state',
  'session_state',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code_verifier',
  'client_secret',
  'nonce',
])

const REDACT_PATHS = [
  'authorization',
  'cookie',
  '*.authorization',
  '*.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  ...[...SECRET_PARAMS].flatMap((name) => (name === 'code' ? [name] : [name, `*.${name}`])),
  // `*.code` is left out on purpose: one level down it is every error's code (err.code),
  // which operators need. Authorization codes travel in URLs (logged via redactUrl) and
  // in request parameters.
  'query.code',
  '*.query.code',
  'params.code',
  '*.params.code',
  'clientSecret',
  '*.clientSecret',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'idToken',
  '*.idToken',
]

/**
 * An error as the log shows it: its class, message, stack and causes (pino's serializer
 * folds those into message and stack), and the codes operators search for. Nothing else:
 * libraries attach response bodies to errors, and a token response must never be logged.
 */
function serializeError(err: unknown): unknown {
  const full = pino.stdSerializers.err(err as Error) as unknown
  if (!full || typeof full !== 'object') return full
  const { type, message, stack, code, status, error } = full as Record<string, unknown>
  return { type, message, stack, code, status, error }
}

export function createLogger(options: {
  level: string
  destination?: pino.DestinationStream
  name?: string
}): Logger {
  return pino(
    {
      level: options.level,
      name: options.name,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    options.destination,
  )
}

/** A URL without its user and password (REDIS_URL may carry a password). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url)
    if (!parsed.username && !parsed.password) return url
    parsed.username = ''
    parsed.password = ''
    return parsed.href
  } catch {
    return '[unparseable URL]'
  }
}

/** A URL (absolute or path) with the values of credential-bearing parameters replaced. */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?')
  if (queryAt === -1) return url
  const params = new URLSearchParams(url.slice(queryAt + 1))
  for (const key of new Set(params.keys())) {
    if (SECRET_PARAMS.has(key)) params.set(key, '[redacted]')
  }
  return `${url.slice(0, queryAt)}?${params.toString()}`
}
