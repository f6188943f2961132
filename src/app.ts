// createApp(deps): the Express app, without listening and without I/O at import time.
// main.ts (and the tests) build the dependencies and call it.
import express, { type Express } from 'express'
import { createDeletePersonData } from './address-book/delete-person-data.ts'
import { createDeleteSourceData } from './address-book/delete-source-data.ts'
import { createBeginAuthorization } from './auth/authorization-request.ts'
import { createLoginCookies } from './auth/login-cookies.ts'
import { enforceSessionMaxAge } from './auth/session-lifetime.ts'
import type { Config } from './config.ts'
import type { Database } from './db/database.ts'
import type { ImportEngine } from './imports/import-engine.ts'
import type { Logger } from './log.ts'
import type { ProviderClient } from './oidc/provider-client.ts'
import { PUBLIC_DIR, VIEWS_DIR } from './paths.ts'
import { createRemoveSource } from './people/remove-source.ts'
import type { Redis } from './redis.ts'
import { CHOICE_TTL_SECONDS, type Services } from './services.ts'
import { createSessionMiddleware } from './session/middleware.ts'
import { csrfTokenFor } from './web/csrf.ts'
import { createErrorHandler } from './web/error-handler.ts'
import { notFound } from './web/not-found.ts'
import { createPersonLocals } from './web/person-locals.ts'
import { createRateLimiter, createRateLimits } from './web/rate-limit.ts'
import { requestLog } from './web/request-log.ts'
import { createAuthRoutes } from './web/routes/auth.ts'
import { createConnectionRoutes } from './web/routes/connections.ts'
import { createExportRoutes } from './web/routes/contact-exports.ts'
import { createContactPhotoRoutes } from './web/routes/contact-photo.ts'
import { createContactRoutes } from './web/routes/contacts.ts'
import { createDeleteDataRoutes } from './web/routes/delete-data.ts'
import { createHealthRoutes } from './web/routes/health.ts'
import { createImportRoutes } from './web/routes/imports.ts'
import { createPageRoutes } from './web/routes/pages.ts'
import { securityHeaders } from './web/security-headers.ts'

export interface AppDeps {
  config: Config
  log: Logger
  redis: Redis
  db: Database
  providers: ReadonlyMap<string, ProviderClient>
  services: Services
  /** Starts imports and streams their progress (imports/import-engine.ts). */
  imports: ImportEngine
}

export function createApp(deps: AppDeps): Express {
  const { config, log, redis, db, providers, services, imports } = deps
  const app = express()

  // Settings
  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxy)
  app.set('views', VIEWS_DIR)
  app.set('view engine', 'ejs')
  // Compile each template once (Express only does so by itself under NODE_ENV=production):
  // recompiling a 3,000-row page on every request blocks the event loop.
  app.enable('view cache')
  app.locals.appName = 'Contacts Importer'
  // The "Connect …" buttons of the start page and the sources panel: one per provider.
  app.locals.sourceProviders = [...providers.values()].map(({ settings }) => ({
    id: settings.id,
    label: settings.label,
  }))

  // General
  app.use(requestLog(log))
  app.use(
    securityHeaders({
      https: config.session.secure,
      formTargets: [...new Set(config.providers.map((p) => p.issuer.origin))],
    }),
  )
  app.use('/static', express.static(PUBLIC_DIR, { index: false, maxAge: '1h' }))
  app.use(createHealthRoutes({ redis, db }))

  // Session: everything below knows who is signed in.
  app.use(createSessionMiddleware({ config, redis, keys: services.keys }))
  app.use((req, res, next) => {
    res.locals.csrfToken = () => csrfTokenFor(req)
    next()
  })
  app.use(enforceSessionMaxAge(config.session.maxAgeSeconds))
  app.use(createPersonLocals({ people: services.people }))

  // Sign-in and the person's pages
  const limiterDeps = { redis, keys: services.keys, log }
  const limits = createRateLimits({ ...limiterDeps, limits: config.rateLimits })
  const loginCookies = createLoginCookies({
    pending: services.pendingLogins,
    prefix: config.session.loginCookiePrefix,
    secure: config.session.secure,
  })
  const beginAuthorization = createBeginAuthorization({
    pendingLogins: services.pendingLogins,
    loginCookies,
  })
  app.use(
    createAuthRoutes({
      providers,
      pendingLogins: services.pendingLogins,
      loginCookies,
      beginAuthorization,
      consumedStates: services.consumedStates,
      limits,
      tokens: services.tokens,
      people: services.people,
      connections: services.connections,
      signIn: services.signIn,
      personSessions: services.personSessions,
      redis,
      keys: services.keys,
      choiceTtlSeconds: CHOICE_TTL_SECONDS,
      log,
      cookieName: config.session.cookieName,
      secure: config.session.secure,
      postLogoutRedirectUri: `${config.appUrl.origin}/`,
      afterSignIn: (personId, connectionId) => imports.starter.afterSignIn(personId, connectionId),
      afterConnect: (personId, connectionId) =>
        imports.starter.afterConnect(personId, connectionId),
    }),
  )
  app.use(
    createConnectionRoutes({
      providers,
      people: services.people,
      contacts: services.contactsStore,
      beginAuthorization,
      removeSource: createRemoveSource({
        people: services.people,
        connections: services.connections,
        deleteSourceData: createDeleteSourceData({ db }),
        personSessions: services.personSessions,
        log,
        afterRemoved: (connectionId) => imports.starter.forget(connectionId),
      }),
      limit: limits.actions,
      log,
      cookieName: config.session.cookieName,
      secure: config.session.secure,
    }),
  )
  app.use(createPageRoutes({ providers, tokens: services.tokens }))

  // The address book: exports and deletion first, so their paths are not taken for an id.
  app.use(
    createExportRoutes({
      contacts: services.contactsStore,
      limit: createRateLimiter(limiterDeps, {
        name: 'exports',
        limit: config.rateLimits.exportsPerMinute,
        windowSeconds: 60,
        per: 'person',
      }),
      log,
    }),
  )
  app.use(
    createDeleteDataRoutes({
      contacts: services.contactsStore,
      deletePersonData: createDeletePersonData({ db, contacts: services.contactsStore }),
      providers,
      limit: limits.actions,
      log,
    }),
  )
  app.use(
    createContactPhotoRoutes({
      contacts: services.contactsStore,
      connections: services.connections,
      sources: services.contactSources,
      providers,
      // Its own budget at the actions' rate: opening photos does not use up the person's
      // imports and corrections, and a page of links cannot spend the provider's quota.
      limit: createRateLimiter(limiterDeps, {
        name: 'photos',
        limit: config.rateLimits.actionsPerMinute,
        windowSeconds: 60,
        per: 'person',
      }),
    }),
  )
  app.use(
    createContactRoutes({
      contacts: services.contactsStore,
      imports: services.importsStore,
      providers,
      tokens: services.tokens,
      limit: limits.actions,
    }),
  )

  app.use(
    createImportRoutes({
      starter: imports.starter,
      reader: services.importsStore,
      events: imports.events,
      providers,
      limiter: createRateLimiter(
        { redis, keys: services.keys, log },
        {
          name: 'import',
          limit: config.rateLimits.actionsPerMinute,
          windowSeconds: 60,
          per: 'person',
        },
      ),
    }),
  )

  // Errors
  app.use(notFound)
  app.use(createErrorHandler(log))
  return app
}
