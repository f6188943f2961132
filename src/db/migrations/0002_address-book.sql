-- The address book: the contacts each connection brought in, and the import runs that
-- brought them. A contact is keyed by (connection, external id), so a re-import updates
-- the record it made before and never adds a second one. person_id is repeated on every
-- row so that every read is scoped to one person by an index, never by a join that a
-- mistake could leave out.
-- pg_trgm ships with PostgreSQL (contrib); it gives `ILIKE '%…%'` an index (search).

-- Up Migration
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('full', 'incremental', 'resync')),
  state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'active', 'completed', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  created integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  deleted integer NOT NULL DEFAULT 0,
  unchanged integer NOT NULL DEFAULT 0,
  skipped integer NOT NULL DEFAULT 0,
  pages_done integer NOT NULL DEFAULT 0,
  -- The provider's count of the whole set (People totalItems), for the progress bar.
  total integer,
  -- Where a resumed run goes on: the next page cursor and the sync token it reads from.
  -- Saved in the same transaction as each page's rows (import/write-page.ts).
  resume jsonb,
  error_code text,
  error_message text,
  error_retryable boolean
);

CREATE INDEX imports_connection_created ON imports (connection_id, created_at DESC);
CREATE INDEX imports_person_created ON imports (person_id, created_at DESC);
-- At most one run per connection is waiting or active: a second "Import now" joins it.
CREATE UNIQUE INDEX imports_one_running ON imports (connection_id) WHERE state IN ('waiting', 'active');

-- Records a run could not store, with the provider's id and the reason (the run's report).
CREATE TABLE import_skips (
  import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  position integer NOT NULL,
  external_id text,
  reason text NOT NULL,
  PRIMARY KEY (import_id, position)
);

CREATE TABLE contacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  external_id text NOT NULL,
  etag text,
  display_name text NOT NULL,
  -- Lower-case, accents removed (address-book/normalize.ts): the order of the list and
  -- its keyset cursor. Compared with COLLATE "C" so that the order does not depend on the
  -- server's locale.
  sort_key text COLLATE "C" NOT NULL,
  -- Names, emails, phones (as typed and as digits), organisations, normalised the same
  -- way: what ?q= searches, through the trigram index.
  search_text text NOT NULL,
  -- The Contact model (contacts/contact.ts) without raw, without externalId and etag (the
  -- columns above) and without empty lists (address-book/stored-data.ts).
  data jsonb NOT NULL,
  -- The provider's own record as received, so a later mapping needs no new import. json,
  -- not jsonb: it is only ever read whole, it keeps the provider's text as sent, and text
  -- compresses to about two thirds of what jsonb's binary form does (measured on People
  -- records: 705 against 1,026 bytes a contact).
  raw json,
  -- The last full run that wrote this record. A full run ends by removing the records of
  -- its connection it did not see (mark and sweep): those it wrote, and those it met
  -- unchanged, which contact_marks lists.
  seen_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, external_id)
) WITH (
  -- A row long enough to be toasted at all (about 2 kB: PostgreSQL's fixed threshold) is
  -- compressed until it is this short, rather than merely under 2 kB.
  toast_tuple_target = 128
);

-- MAIN: compressed in the row, moved out of line only if the row would not fit a page.
-- With the low target above, EXTENDED would instead move even search_text out of line
-- (every search's recheck would read TOAST), and a list page would read data from TOAST.
ALTER TABLE contacts
  ALTER COLUMN external_id SET STORAGE MAIN,
  ALTER COLUMN etag SET STORAGE MAIN,
  ALTER COLUMN display_name SET STORAGE MAIN,
  ALTER COLUMN sort_key SET STORAGE MAIN,
  ALTER COLUMN search_text SET STORAGE MAIN,
  ALTER COLUMN data SET STORAGE MAIN,
  ALTER COLUMN raw SET STORAGE MAIN;

-- lz4 compresses and decompresses several times faster than pglz, at about the same
-- size, and compresses the small jsonb of `data` where pglz gives up (it wants 25 %).
-- PostgreSQL 14+ built --with-lz4 has it; elsewhere pglz, the default, stays.
DO $$
BEGIN
  EXECUTE 'ALTER TABLE contacts ALTER COLUMN data SET COMPRESSION lz4, ALTER COLUMN raw SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
  RAISE NOTICE 'lz4 is not available here: contacts keep pglz compression';
END
$$;

CREATE INDEX contacts_person_sort ON contacts (person_id, sort_key, id);
-- A pending list (fastupdate) of 1 MB instead of the default 4 MB: the index is a third
-- smaller right after an import (measured at 25,000 contacts: 218 against 354 bytes a
-- contact) at about the same insert speed; smaller lists (512 kB) were slower, and
-- fastupdate off is five times slower.
CREATE INDEX contacts_search ON contacts USING gin (search_text gin_trgm_ops)
  WITH (gin_pending_list_limit = 1024);

-- What a full run met unchanged (what it wrote carries its id in contacts.seen_by): its
-- sweep keeps these, then empties the connection's marks. Stamping seen_by on every
-- unchanged row instead would rewrite the whole book on each resync — a new version of
-- every ~2 kB row and an entry in each of its indexes, doubling the table until vacuum
-- (measured at 25,000 contacts: 2.2 to 4.3 kB a contact); a mark is a few dozen bytes.
-- No foreign key to contacts: a mark of a record deleted since is harmless, and the sweep
-- clears it; one to connections, so that marks go with their connection.
CREATE TABLE contact_marks (
  connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  run_id uuid NOT NULL,
  contact_id uuid NOT NULL,
  PRIMARY KEY (connection_id, run_id, contact_id)
);

-- Down Migration
DROP TABLE contact_marks;
DROP TABLE contacts;
DROP TABLE import_skips;
DROP TABLE imports;
