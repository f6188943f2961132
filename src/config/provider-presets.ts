// What an operator would otherwise copy from a provider's documentation: the values of the
// generic <ID>_* variables for the providers the app knows by name. config.ts fills them in
// for the listed id of the same name, under anything the environment sets itself, so each
// value stays overridable (contacts-apis.md §3.7, §4.5 and §5 are the sources).
// Data only: no I/O, no imports, nothing read here.

/** The generic provider variables a preset may fill in (`<ID>_<NAME>`). */
export type PresetVariable =
  | 'ISSUER'
  | 'SCOPES'
  | 'AUTH_PARAMS'
  | 'CONTACTS_API'
  | 'CONTACTS_URL'
  | 'LABEL'

export interface ProviderPreset {
  /** Defaults of the generic variables. `{tenant}` in a value is `<ID>_TENANT`. */
  defaults: Readonly<Partial<Record<PresetVariable, string>>>
  /** The provider is multi-tenant: `<ID>_TENANT` picks the directory, with this default. */
  tenant?: string
  /**
   * The provider documents PKCE with S256 but its discovery document does not list
   * `code_challenge_methods_supported` (Microsoft Entra): start flows with PKCE anyway.
   */
  pkceDocumented?: boolean
}

/**
 * A Microsoft Entra directory (tenant) id: a GUID, as in `MICROSOFT_TENANT` and in an ID
 * token's `tid` claim (personal accounts have one too, 9188040d-…). Upper case is read too.
 */
export const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const PROVIDER_PRESETS: Readonly<Record<string, ProviderPreset>> = Object.freeze({
  google: {
    defaults: {
      ISSUER: 'https://accounts.google.com',
      SCOPES: 'openid email profile https://www.googleapis.com/auth/contacts.readonly',
      // offline: a refresh token; consent: a new one on every sign-in (Google issues one
      // only on first consent otherwise); include_granted_scopes: incremental consent.
      AUTH_PARAMS: 'access_type=offline&prompt=consent&include_granted_scopes=true',
      CONTACTS_API: 'people',
      CONTACTS_URL: 'https://people.googleapis.com',
      LABEL: 'Google',
    },
  },
  microsoft: {
    defaults: {
      ISSUER: 'https://login.microsoftonline.com/{tenant}/v2.0',
      // offline_access is what gets a refresh token from Entra (the app asks prompt=consent
      // for it, OIDC Core §11); Contacts.Read is Graph's, the default resource.
      SCOPES: 'openid email profile offline_access Contacts.Read',
      CONTACTS_API: 'graph',
      CONTACTS_URL: 'https://graph.microsoft.com',
      LABEL: 'Microsoft',
    },
    // Work, school and personal accounts.
    tenant: 'common',
    pkceDocumented: true,
  },
})

/** The preset for a provider id, when the app knows that provider by name. */
export function presetFor(id: string): ProviderPreset | undefined {
  return Object.hasOwn(PROVIDER_PRESETS, id) ? PROVIDER_PRESETS[id] : undefined
}
