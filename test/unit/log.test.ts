// Tokens, codes and secrets are treated as passwords (RFC 9700 §4.9.3): they must never
// reach a log line, whether inside a URL or as a field.
import { describe, expect, it } from 'vitest'
import { AppError, ErrorCode } from '../../src/errors.ts'
import { createLogger, redactUrl } from '../../src/log.ts'

function memoryLogger() {
  const lines: string[] = []
  const log = createLogger({
    level: 'trace',
    destination: { write: (line: string) => void lines.push(line) },
  })
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  return { log, lines, entries }
}

describe('redactUrl', () => {
  it('when a callback URL carries code and state, then their values are replaced and the rest is kept', () => {
    const redacted = redactUrl(
      '/auth/callback/demo?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz123&iss=http%3A%2F%2Flocalhost%3A4000',
    )
    const params = new URL(redacted, 'http://x.invalid').searchParams
    expect(redacted.startsWith('/auth/callback/demo?')).toBe(true)
    expect(params.get('code')).toBe('[redacted]')
    expect(params.get('state')).toBe('[redacted]')
    expect(params.get('iss')).toBe('http://localhost:4000')
    expect(redacted).not.toContain('SplxlOBeZQQYbYS6WxSbIA')
    expect(redacted).not.toContain('xyz123')
  })

  it.each(['access_token', 'refresh_token', 'id_token', 'token'])(
    'when a URL carries %s, then its value is replaced',
    (name) => {
      const redacted = redactUrl(
        `https://app.example/resource?${name}=eyJhbGciOi.secret.sig&page=2`,
      )
      expect(redacted).not.toContain('eyJhbGciOi.secret.sig')
      const params = new URL(redacted).searchParams
      expect(params.get(name)).toBe('[redacted]')
      expect(params.get('page')).toBe('2')
    },
  )

  it('when a secret parameter is repeated, then no copy of its values survives', () => {
    const redacted = redactUrl('/cb?code=first-code&code=second-code')
    expect(redacted).not.toContain('first-code')
    expect(redacted).not.toContain('second-code')
  })

  it('when a URL has no secret parameters or no query at all, then it is unchanged', () => {
    expect(redactUrl('/login?provider=demo&returnTo=%2Fresource')).toBe(
      '/login?provider=demo&returnTo=%2Fresource',
    )
    expect(redactUrl('/resource')).toBe('/resource')
  })
})

describe('createLogger', () => {
  const SECRET_FIELDS = [
    'authorization',
    'cookie',
    'accessToken',
    'refreshToken',
    'idToken',
    'clientSecret',
    'code',
  ]

  it.each(SECRET_FIELDS)(
    'when %s is logged at the top level, then its value is redacted',
    (field) => {
      const { log, lines, entries } = memoryLogger()
      log.info({ [field]: `value-of-${field}`, keep: 'visible' }, 'event')

      expect(lines.join('')).not.toContain(`value-of-${field}`)
      expect(entries()[0]).toMatchObject({ [field]: '[redacted]', keep: 'visible', msg: 'event' })
    },
  )

  it.each(SECRET_FIELDS.filter((field) => field !== 'code'))(
    'when %s is logged one level down, then its value is redacted',
    (field) => {
      const { log, lines, entries } = memoryLogger()
      log.warn({ context: { [field]: `value-of-${field}`, keep: 'visible' } }, 'event')

      expect(lines.join('')).not.toContain(`value-of-${field}`)
      expect(entries()[0]?.context).toEqual({ [field]: '[redacted]', keep: 'visible' })
    },
  )

  it('when request headers are logged, then authorization, cookie and set-cookie are redacted', () => {
    const { log, lines } = memoryLogger()
    log.info(
      {
        req: {
          headers: {
            authorization: 'Bearer at-123',
            cookie: 'ci.sid=s%3Aabc',
            accept: 'text/html',
          },
        },
        res: { headers: { 'set-cookie': 'ci.sid=s%3Adef; HttpOnly' } },
      },
      'request',
    )
    const output = lines.join('')
    expect(output).not.toContain('at-123')
    expect(output).not.toContain('s%3Aabc')
    expect(output).not.toContain('s%3Adef')
    expect(output).toContain('text/html')
  })

  it('when request query or parameters carry an authorization code, then it is redacted', () => {
    const { log, lines } = memoryLogger()
    log.info({ query: { code: 'auth-code-1' }, req: { params: { code: 'auth-code-2' } } }, 'event')
    expect(lines.join('')).not.toMatch(/auth-code-[12]/)
  })

  it('when an error is logged whose cause carried a token response, then no token reaches the log', () => {
    // openid-client attaches the offending response body to some validation errors.
    const { log, lines } = memoryLogger()
    const inner = Object.assign(
      new Error('"response" body "token_type" property must be a string'),
      {
        body: { access_token: 'at-secret-1', refresh_token: 'rt-secret-2' },
      },
    )
    const err = new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'refresh failed', {
      status: 502,
      cause: new Error('something went wrong', { cause: inner }),
    })
    log.warn({ err }, 'token refresh failed')
    log.error({ err: inner }, 'unhandled error')
    expect(lines.join('')).not.toMatch(/at-secret-1|rt-secret-2/)
    expect(lines.join('')).toContain('token_type')
  })

  it('when an AppError is logged as err, then its error code stays readable for the operator', () => {
    // Redacting every `*.code` also hides AppError/ClientError codes, which are what an
    // operator searches the logs for; authorization codes never travel in an `err`.
    const { log, entries } = memoryLogger()
    const err = new AppError(ErrorCode.CONTACTS_UNAVAILABLE, 'down', { status: 502 })
    log.error({ err, accessToken: 'at-123' }, 'contacts failed')

    const entry = entries()[0]
    expect(entry?.err).toMatchObject({ type: 'AppError', code: 'CONTACTS_UNAVAILABLE' })
    expect(entry?.accessToken).toBe('[redacted]')
  })

  it('when the level is above the call, then nothing is written', () => {
    const lines: string[] = []
    const log = createLogger({
      level: 'warn',
      destination: { write: (l: string) => void lines.push(l) },
    })
    log.info({ accessToken: 'x' }, 'quiet')
    log.warn('loud')
    expect(lines).toHaveLength(1)
  })
})
