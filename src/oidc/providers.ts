// One ProviderClient per configured provider, keyed by provider id.
import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import {
  createProviderClient,
  type ProviderClient,
  type ProviderClientOptions,
} from './provider-client.ts'

export function createProviders(
  config: Config,
  log: Logger,
  fetch?: ProviderClientOptions['fetch'],
): Map<string, ProviderClient> {
  return new Map(
    config.providers.map((settings) => [
      settings.id,
      createProviderClient(settings, {
        localHttp: config.localHttp,
        timeoutSeconds: config.http.timeoutSeconds,
        log,
        fetch,
      }),
    ]),
  )
}
