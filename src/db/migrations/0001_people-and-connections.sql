-- People and the provider accounts they connected. A person is our own id, not a
-- provider's, so one person can hold several connections; UNIQUE (issuer, subject) keeps
-- one provider account from belonging to two people. Tokens are not stored here: a
-- connection holds only grant_id, the key of its record in the token vault.
-- gen_random_uuid() is built into PostgreSQL 13 and later (no pgcrypto extension needed).

-- Up Migration
CREATE TABLE people (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  provider text NOT NULL,          -- configured provider id, e.g. 'demo', 'google'
  issuer text NOT NULL,            -- OIDC issuer identifier
  subject text NOT NULL,           -- `sub` at that issuer
  display_name text,
  email text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'reconnect_needed', 'disconnected')),
  grant_id text UNIQUE,            -- key of the token record in the vault; NULL once disconnected
  scopes text[] NOT NULL DEFAULT '{}',
  connected_at timestamptz NOT NULL DEFAULT now(),
  last_refreshed_at timestamptz,
  last_used_at timestamptz,
  import_state jsonb NOT NULL DEFAULT '{}'::jsonb,  -- room for the import issue
  UNIQUE (issuer, subject)
);

CREATE INDEX connections_person_id ON connections (person_id);

-- Down Migration
DROP TABLE connections;
DROP TABLE people;
