// What an error looks like to the person: the one place that maps error codes to a page
// title and a way forward. Domain code only says what failed and for which provider
// (errors.ts); the message is shown only when the error is exposed (status < 500, or a
// 502/503 about someone else's service), never a stack trace, a token or an upstream body.
import { AppError, ErrorCode } from '../errors.ts'
import { loginHref } from './login-links.ts'

/** Where the error page sends the person next. */
export interface ErrorAction {
  label: string
  href: string
}

/** The public face of any error: what the page or the JSON body may show. */
export interface PublicError {
  status: number
  code: ErrorCode
  title: string
  message: string
  action: ErrorAction | undefined
}

type Remedy =
  | 'sign-in-again'
  | 'retry-sign-in'
  | 'grant-contacts'
  | 'reconnect'
  | 'choose'
  | 'sign-in'
  | 'home'

const PAGES: Record<ErrorCode, { title: string; remedy?: Remedy }> = {
  LOGIN_DECLINED: { title: 'You declined access — try again', remedy: 'retry-sign-in' },
  LOGIN_FAILED: { title: 'Sign-in did not complete', remedy: 'retry-sign-in' },
  SCOPE_NOT_GRANTED: { title: 'Contacts permission not granted', remedy: 'grant-contacts' },
  LOGIN_STATE_MISSING: { title: 'Sign-in could not be completed', remedy: 'sign-in-again' },
  LOGIN_STATE_UNKNOWN: { title: 'Sign-in could not be completed', remedy: 'sign-in-again' },
  LOGIN_STATE_MISMATCH: { title: 'Sign-in could not be completed', remedy: 'sign-in-again' },
  LOGIN_INVALID_RESPONSE: { title: 'Sign-in could not be verified', remedy: 'retry-sign-in' },
  UNKNOWN_PROVIDER: { title: 'Unknown provider', remedy: 'choose' },
  PROVIDER_UNAVAILABLE: { title: 'The provider is not answering' },
  CLIENT_MISCONFIGURED: { title: 'Sign-in is misconfigured' },
  PROVIDER_ERROR: { title: 'The provider sent an unexpected answer' },
  IDENTITY_MISMATCH: { title: 'Signed out for your safety', remedy: 'sign-in-again' },
  GRANT_REVOKED: { title: 'Reconnect to your provider', remedy: 'reconnect' },
  CONTACTS_UNAVAILABLE: { title: 'The contacts service is not answering' },
  CONTACTS_UNAUTHORIZED: { title: 'Reconnect to your provider', remedy: 'reconnect' },
  CONTACTS_FORBIDDEN: { title: 'Access to your contacts is missing', remedy: 'reconnect' },
  CONTACTS_BAD_RESPONSE: { title: 'Unexpected answer from the contacts service' },
  // Handled inside an import (a full resync); a page only sees it if that went wrong too.
  SYNC_TOKEN_EXPIRED: { title: 'Unexpected answer from the contacts service' },
  ACCOUNT_TAKEN: { title: 'Account already in use', remedy: 'home' },
  CONNECT_SIGNED_OUT: { title: 'Nothing was connected', remedy: 'sign-in' },
  CONNECT_OTHER_PERSON: { title: 'Nothing was connected', remedy: 'home' },
  CHOICE_EXPIRED: { title: 'This question expired', remedy: 'home' },
  CSRF_INVALID: { title: 'Form expired', remedy: 'home' },
  LOGIN_REQUIRED: { title: 'Sign-in required', remedy: 'sign-in' },
  NOT_FOUND: { title: 'Page not found', remedy: 'home' },
  METHOD_NOT_ALLOWED: { title: 'Not allowed', remedy: 'home' },
  BAD_REQUEST: { title: 'Bad request', remedy: 'home' },
  // Home, not "try again": the request may be a callback, whose URL holds a code.
  RATE_LIMITED: { title: 'Too many requests', remedy: 'home' },
  STORE_UNAVAILABLE: { title: 'Temporarily unavailable' },
  INTERNAL: { title: 'Something went wrong', remedy: 'home' },
}

const HOME: ErrorAction = { label: 'Back to the start page', href: '/' }

function actionFor(err: AppError, remedy: Remedy | undefined): ErrorAction | undefined {
  // A failure during a sign-in is mended by a new sign-in: its code is spent, so
  // reloading the callback can never work.
  const during = err.returnTo !== undefined ? 'retry-sign-in' : undefined
  switch (remedy ?? during) {
    case 'retry-sign-in':
      return { label: 'Try signing in again', href: loginHref(err.provider, err.returnTo) }
    case 'grant-contacts':
      // A new authorization asks for every configured scope again.
      return {
        label: 'Connect again and allow contacts',
        href: loginHref(err.provider, err.returnTo),
      }
    case 'sign-in-again':
      return { label: 'Sign in again', href: loginHref(err.provider) }
    case 'reconnect':
      return { label: 'Reconnect', href: loginHref(err.provider) }
    case 'choose':
      return { label: 'Choose a provider', href: '/login' }
    case 'sign-in':
      return { label: 'Sign in', href: '/login' }
    case 'home':
      return HOME
    case undefined:
      return undefined
  }
}

export function toPublicError(err: unknown): PublicError {
  if (err instanceof AppError && err.expose) {
    const page = PAGES[err.code]
    return {
      status: err.status,
      code: err.code,
      title: page.title,
      message: err.message,
      action: actionFor(err, page.remedy),
    }
  }
  return {
    status: 500,
    code: ErrorCode.INTERNAL,
    title: PAGES.INTERNAL.title,
    message: 'An unexpected error happened on our side. Please try again in a moment.',
    action: HOME,
  }
}
