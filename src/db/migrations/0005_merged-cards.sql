-- One merged address book: contacts that share a normalised email address (trimmed,
-- case-folded; no Gmail dot or plus rules, which are not universal) or an E.164 phone
-- number are one card, across connections and within one source. Names never merge.
--
-- Kept by the database as rows come and go, like the counts of 0003: statement-level
-- triggers on contacts (one run per statement, a page of 1,000 rows is one) index the
-- keys of what was written and group only what it touched, never the book: contacts that
-- gained keys join the cards they now share a key with (card_attach, no walk); a merged
-- contact that changed may change its card's lead (card_relead); only a merged contact that
-- lost a key, or a removal, walks its card (card_regroup) — the contacts reachable through
-- shared keys and the person's own joins.
-- Whichever code wrote the rows (the import's upsert, a relink, a sweep, "delete my data",
-- a cascade from a removed connection), the cards follow.
--
-- A card is the connected component of its contacts; its id is its lead contact's id (a
-- contact with a name first, then the list's order), so the list walks the contacts'
-- own sort index and skips the members behind a lead. A contact alone is a card without
-- any row here: only merged contacts have a card_members row (the lead's included).
--
-- The person's corrections are rules keyed by (connection, external id), so they survive
-- re-imports and resyncs (a record swept and imported again keeps its external id):
-- card_splits ("taken out": the contact joins nothing through its keys) and card_joins (two
-- contacts are one card whatever their keys say).

-- Up Migration

-- Email keys are case-folded with ICU's rules where the server has ICU, else with the
-- database's lower() (ASCII-only under the C locale); trimmed of spaces, tabs, line breaks,
-- no-break spaces and BOMs; one @ with something either side, or not a key at all.
DO $$
BEGIN
  EXECUTE $f$
    CREATE FUNCTION contact_email_key(address text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
      SELECT CASE WHEN t ~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN lower(t COLLATE "und-x-icu") END
      FROM btrim(address, E' \t\r\n\u00a0\ufeff') AS t
    $b$
  $f$;
EXCEPTION WHEN undefined_object THEN
  CREATE FUNCTION contact_email_key(address text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
    SELECT CASE WHEN t ~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN lower(t) END
    FROM btrim(address, E' \t\r\n\u00a0\ufeff') AS t
  $b$;
END
$$;

-- The keys of one contact's data (the Contact model, address-book/stored-data.ts): 'e'
-- emails, 'p' phones by their E.164 form only (a number without one merges nothing).
CREATE FUNCTION contact_key_rows(data jsonb) RETURNS TABLE (kind "char", value text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT DISTINCT k.kind, k.value FROM (
    SELECT 'e'::"char" AS kind, contact_email_key(e ->> 'address') AS value
    FROM jsonb_array_elements(COALESCE(data -> 'emails', '[]'::jsonb)) AS e
    UNION ALL
    SELECT 'p'::"char", p ->> 'e164'
    FROM jsonb_array_elements(COALESCE(data -> 'phones', '[]'::jsonb)) AS p
    WHERE p ->> 'e164' ~ '^\+[1-9][0-9]{1,14}$'
  ) AS k
  WHERE k.value IS NOT NULL
$$;

-- Who shares a key: one row per (person, key, contact), the primary key its only index.
-- No foreign keys: the rows are written and removed by the triggers of contacts below, in
-- the same statement as their contact, and a check per key row would cost every page.
CREATE TABLE contact_keys (
  person_id uuid NOT NULL,
  kind "char" NOT NULL CHECK (kind IN ('e', 'p')),
  value text NOT NULL,
  contact_id uuid NOT NULL,
  PRIMARY KEY (person_id, kind, value, contact_id)
);

-- The merged contacts' cards: card_id is the lead contact's id. Maintained by the triggers.
CREATE TABLE card_members (
  contact_id uuid PRIMARY KEY,
  card_id uuid NOT NULL
);
CREATE INDEX card_members_card ON card_members (card_id);

-- Per person: how many contacts stand behind a lead (the number of cards is the number of
-- contacts, migration 0003, less this), so no view counts the cards.
CREATE TABLE card_totals (
  person_id uuid PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
  merged integer NOT NULL DEFAULT 0
);

CREATE TABLE card_splits (
  connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  external_id text NOT NULL,
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, external_id)
);

CREATE TABLE card_joins (
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  a_connection uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  a_external text NOT NULL,
  b_connection uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  b_external text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (a_connection, a_external, b_connection, b_external)
);
CREATE INDEX card_joins_b ON card_joins (b_connection, b_external);

CREATE FUNCTION card_totals_add(p uuid, delta integer) RETURNS void LANGUAGE sql AS $$
  INSERT INTO card_totals AS t (person_id, merged)
  SELECT p, delta WHERE delta <> 0 AND EXISTS (SELECT 1 FROM people WHERE id = p)
  ON CONFLICT (person_id) DO UPDATE SET merged = t.merged + EXCLUDED.merged
$$;

-- Groups again the cards of `touched` (contacts of person p): they and everyone in the cards
-- they were in are the start; the cards are the connected components of everything
-- reachable from there. One advisory lock per person: two imports of one person (two
-- connections at once) group one after the other, each seeing the other's committed keys,
-- so contacts that share a key can never end up on two cards.
--
-- Linear in what is reached: each contact is visited once (the recursive walk), its keys
-- and joins are listed once (card_incidence: a join is a key the two contacts share), and
-- components are found by passing the lowest label across shared keys until nothing
-- changes — as many rounds as the widest card is long, not one walk per contact, which
-- was quadratic in a card's size (a shared office number on hundreds of contacts).
-- jit off: the planner's estimates for the recursive walk are wildly high, and compiling
-- it took 1.5 s of a 0.2 s statement.
CREATE FUNCTION card_regroup(p uuid, touched uuid[]) RETURNS void LANGUAGE plpgsql
SET jit = off AS $$
DECLARE
  nodes uuid[];
  member_ids uuid[];
  card_ids uuid[];
  regrouped uuid[];
  dropped integer;
BEGIN
  IF touched IS NULL OR cardinality(touched) = 0 THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(1667330669, hashtext(p::text));
  SELECT array_agg(DISTINCT x) INTO nodes FROM (
    SELECT unnest(touched) AS x
    UNION ALL
    SELECT m2.contact_id FROM card_members m1 JOIN card_members m2 USING (card_id)
    WHERE m1.contact_id = ANY (touched)
  ) AS s;
  -- Scratch tables of this session, emptied at each commit and at each call.
  IF to_regclass('pg_temp.card_walk') IS NULL THEN
    CREATE TEMP TABLE card_walk (id uuid PRIMARY KEY, label text NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE card_incidence (id uuid NOT NULL, key text NOT NULL) ON COMMIT DELETE ROWS;
  ELSE
    TRUNCATE card_walk, card_incidence;
  END IF;
  -- Everything linked to the start by a shared key (taken-out contacts too: reaching more
  -- than needed only groups a few more again) or by a join.
  WITH RECURSIVE reach (id) AS (
    SELECT c.id FROM contacts c WHERE c.person_id = p AND c.id = ANY (nodes)
    UNION
    SELECT n.id FROM reach r JOIN contacts c ON c.id = r.id CROSS JOIN LATERAL (
      -- OFFSET 0 keeps this a primary-key lookup per key: on the stale statistics of a
      -- table an import is filling, the planner would rather hash all the person's keys
      -- for every contact reached.
      SELECT k2.id FROM contact_key_rows(c.data) AS k CROSS JOIN LATERAL (
        SELECT contact_id AS id FROM contact_keys
        WHERE person_id = p AND kind = k.kind AND value = k.value OFFSET 0
      ) AS k2
      UNION ALL
      SELECT c2.id FROM card_joins j
        JOIN contacts c2 ON c2.connection_id = j.b_connection AND c2.external_id = j.b_external
      WHERE j.a_connection = c.connection_id AND j.a_external = c.external_id
      UNION ALL
      SELECT c2.id FROM card_joins j
        JOIN contacts c2 ON c2.connection_id = j.a_connection AND c2.external_id = j.a_external
      WHERE j.b_connection = c.connection_id AND j.b_external = c.external_id
    ) AS n
  )
  INSERT INTO card_walk (id, label) SELECT id, id::text FROM reach;

  INSERT INTO card_incidence (id, key)
  SELECT c.id, k.kind::text || k.value
  FROM card_walk w JOIN contacts c ON c.id = w.id CROSS JOIN LATERAL contact_key_rows(c.data) AS k
  WHERE NOT EXISTS (SELECT 1 FROM card_splits s
                    WHERE s.connection_id = c.connection_id AND s.external_id = c.external_id)
  UNION ALL
  SELECT c.id, concat_ws(' ', 'j', j.a_connection, j.a_external, j.b_connection, j.b_external)
  FROM card_walk w JOIN contacts c ON c.id = w.id
    JOIN card_joins j ON j.a_connection = c.connection_id AND j.a_external = c.external_id
  UNION ALL
  SELECT c.id, concat_ws(' ', 'j', j.a_connection, j.a_external, j.b_connection, j.b_external)
  FROM card_walk w JOIN contacts c ON c.id = w.id
    JOIN card_joins j ON j.b_connection = c.connection_id AND j.b_external = c.external_id;

  LOOP
    WITH keys AS (
      SELECT i.key, min(w.label) AS label FROM card_incidence i JOIN card_walk w USING (id)
      GROUP BY i.key HAVING count(*) > 1
    ),
    best AS (
      SELECT i.id, min(k.label) AS label FROM card_incidence i JOIN keys k USING (key) GROUP BY i.id
    )
    UPDATE card_walk w SET label = b.label FROM best b WHERE w.id = b.id AND b.label < w.label;
    EXIT WHEN NOT FOUND;
  END LOOP;

  WITH sized AS (
    SELECT w.id, w.label, count(*) OVER (PARTITION BY w.label) AS size FROM card_walk w
  ),
  leads AS (
    SELECT DISTINCT ON (s.label) s.label, c.id AS lead
    FROM sized s JOIN contacts c ON c.id = s.id
    WHERE s.size > 1
    ORDER BY s.label, (c.data -> 'name' ?| ARRAY['display', 'given', 'family']) DESC,
      c.sort_key, c.id
  )
  SELECT array_agg(s.id ORDER BY s.id), array_agg(d.lead ORDER BY s.id)
  INTO member_ids, card_ids
  FROM sized s JOIN leads d USING (label);
  SELECT array_agg(id) INTO regrouped FROM card_walk;

  WITH gone AS (
    DELETE FROM card_members WHERE contact_id = ANY (regrouped) RETURNING contact_id, card_id
  )
  SELECT count(*) FILTER (WHERE contact_id <> card_id) INTO dropped FROM gone;
  IF member_ids IS NOT NULL THEN
    INSERT INTO card_members (contact_id, card_id) SELECT * FROM unnest(member_ids, card_ids);
  END IF;
  PERFORM card_totals_add(p,
    (SELECT count(*) FROM unnest(member_ids, card_ids) AS m (c, l) WHERE c <> l)::integer
    - COALESCE(dropped, 0));
END
$$;

-- The common path of a write: contacts that gained keys (new contacts, or new addresses and
-- numbers on stored ones) can only join cards, never split one, so no component walk is
-- needed. `card_fresh` (a scratch table of this session) holds their new keys; a contact
-- in it with none is still looked up for the person's joins. Each fresh contact is linked
-- to the contacts that share one of its new keys (neither taken out) or that a join names;
-- the cards at either end of a link are one card now, found by passing the lowest label
-- across the links (a handful of rows, not the cards' members), and its lead is the best
-- of the old leads and the fresh contacts (each old lead was its card's best). Only the
-- members of cards whose lead lost are moved: a fresh contact matching nothing costs one
-- primary-key probe a key.
CREATE FUNCTION card_attach(p uuid) RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  joined integer;
BEGIN
  PERFORM pg_advisory_xact_lock(1667330669, hashtext(p::text));
  IF to_regclass('pg_temp.card_links') IS NULL THEN
    CREATE TEMP TABLE card_links (a uuid NOT NULL, b uuid NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE card_groups (id uuid PRIMARY KEY, label uuid NOT NULL) ON COMMIT DELETE ROWS;
  ELSE
    TRUNCATE card_links, card_groups;
  END IF;
  -- OFFSET 0: one primary-key probe per fresh key, whatever a young table's statistics say.
  INSERT INTO card_links (a, b)
  SELECT DISTINCT f.id, o.id FROM card_fresh f CROSS JOIN LATERAL (
    SELECT k.contact_id AS id FROM contact_keys k
    WHERE k.person_id = p AND k.kind = f.kind AND k.value = f.value AND k.contact_id <> f.id
    OFFSET 0
  ) AS o
  WHERE f.person_id = p AND f.kind IS NOT NULL;
  IF EXISTS (SELECT 1 FROM card_links) AND EXISTS (SELECT 1 FROM card_splits WHERE person_id = p)
  THEN
    DELETE FROM card_links l USING contacts c, card_splits s
    WHERE c.id IN (l.a, l.b) AND s.connection_id = c.connection_id
      AND s.external_id = c.external_id;
  END IF;
  IF EXISTS (SELECT 1 FROM card_joins WHERE person_id = p) THEN
    INSERT INTO card_links (a, b)
    SELECT c.id, c2.id FROM (SELECT DISTINCT id FROM card_fresh WHERE person_id = p) f JOIN contacts c ON c.id = f.id
      JOIN card_joins j ON j.a_connection = c.connection_id AND j.a_external = c.external_id
      JOIN contacts c2 ON c2.connection_id = j.b_connection AND c2.external_id = j.b_external
    UNION ALL
    SELECT c.id, c2.id FROM (SELECT DISTINCT id FROM card_fresh WHERE person_id = p) f JOIN contacts c ON c.id = f.id
      JOIN card_joins j ON j.b_connection = c.connection_id AND j.b_external = c.external_id
      JOIN contacts c2 ON c2.connection_id = j.a_connection AND c2.external_id = j.a_external;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM card_links) THEN RETURN; END IF;

  -- Each end stands for its card, named by its lead.
  UPDATE card_links l SET a = m.card_id FROM card_members m WHERE m.contact_id = l.a;
  UPDATE card_links l SET b = m.card_id FROM card_members m WHERE m.contact_id = l.b;
  DELETE FROM card_links WHERE a = b;
  IF NOT EXISTS (SELECT 1 FROM card_links) THEN RETURN; END IF;
  INSERT INTO card_groups (id, label)
  SELECT x, x FROM (SELECT a FROM card_links UNION SELECT b FROM card_links) AS e (x);
  LOOP
    WITH best AS (
      SELECT e.x AS id, min(g.label::text)::uuid AS label FROM (
        SELECT a AS x, b AS y FROM card_links UNION ALL SELECT b, a FROM card_links
      ) AS e JOIN card_groups g ON g.id = e.y
      GROUP BY e.x
    )
    UPDATE card_groups g SET label = b.label FROM best b
    WHERE g.id = b.id AND b.label::text < g.label::text;
    EXIT WHEN NOT FOUND;
  END LOOP;

  -- The lead of each group; then every old card of a group is named by it.
  WITH leads AS (
    SELECT DISTINCT ON (g.label) g.label, c.id AS lead
    FROM card_groups g JOIN contacts c ON c.id = g.id
    ORDER BY g.label, (c.data -> 'name' ?| ARRAY['display', 'given', 'family']) DESC,
      c.sort_key, c.id
  )
  UPDATE card_groups g SET label = l.lead FROM leads l WHERE g.label = l.label;
  UPDATE card_members m SET card_id = g.label
  FROM card_groups g WHERE m.card_id = g.id AND g.id <> g.label;
  INSERT INTO card_members (contact_id, card_id) SELECT id, label FROM card_groups
  ON CONFLICT (contact_id) DO UPDATE SET card_id = EXCLUDED.card_id;
  -- k cards became one: k - 1 fewer cards.
  SELECT (count(*) - count(DISTINCT label))::integer INTO joined FROM card_groups;
  PERFORM card_totals_add(p, joined);
END
$$;

-- A merged contact whose data changed (and kept its keys) may no longer be its card's best,
-- or another member may be now: the lead of each card named is chosen again among its
-- members (the card's members, not a walk).
CREATE FUNCTION card_relead(cards uuid[]) RETURNS void LANGUAGE sql AS $$
  WITH leads AS (
    SELECT DISTINCT ON (m.card_id) m.card_id, c.id AS lead
    FROM card_members m JOIN contacts c ON c.id = m.contact_id
    WHERE m.card_id = ANY (cards)
    ORDER BY m.card_id, (c.data -> 'name' ?| ARRAY['display', 'given', 'family']) DESC,
      c.sort_key, c.id
  )
  UPDATE card_members m SET card_id = l.lead FROM leads l
  WHERE m.card_id = l.card_id AND l.lead <> l.card_id
$$;

-- The scratch table card_attach reads, made once a session.
CREATE FUNCTION card_fresh_reset() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('pg_temp.card_fresh') IS NULL THEN
    CREATE TEMP TABLE card_fresh (person_id uuid NOT NULL, id uuid NOT NULL, kind "char",
      value text) ON COMMIT DELETE ROWS;
  ELSE
    TRUNCATE card_fresh;
  END IF;
END
$$;

CREATE FUNCTION cards_contacts_added() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  person uuid;
BEGIN
  PERFORM card_fresh_reset();
  -- The keys, computed once; a contact without any is listed too (a join may name it).
  INSERT INTO card_fresh (person_id, id, kind, value)
  SELECT n.person_id, n.id, k.kind, k.value
  FROM added n LEFT JOIN LATERAL contact_key_rows(n.data) AS k ON true;
  INSERT INTO contact_keys (person_id, kind, value, contact_id)
  SELECT person_id, kind, value, id FROM card_fresh WHERE kind IS NOT NULL
  ON CONFLICT DO NOTHING;
  FOR person IN SELECT DISTINCT person_id FROM card_fresh LOOP
    PERFORM card_attach(person);
  END LOOP;
  RETURN NULL;
END
$$;

CREATE FUNCTION cards_contacts_changed() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  person uuid;
  ids uuid[];
  persons uuid[];
BEGIN
  -- A record that moved to a new external id (relink) keeps the person's rules.
  UPDATE card_splits s SET external_id = n.external_id
  FROM old_rows o JOIN new_rows n USING (id)
  WHERE o.external_id <> n.external_id
    AND s.connection_id = o.connection_id AND s.external_id = o.external_id;
  UPDATE card_joins j SET a_external = n.external_id
  FROM old_rows o JOIN new_rows n USING (id)
  WHERE o.external_id <> n.external_id
    AND j.a_connection = o.connection_id AND j.a_external = o.external_id;
  UPDATE card_joins j SET b_external = n.external_id
  FROM old_rows o JOIN new_rows n USING (id)
  WHERE o.external_id <> n.external_id
    AND j.b_connection = o.connection_id AND j.b_external = o.external_id;

  -- Only the keys that changed are written. A merged contact that lost a key may split its
  -- card: that card is grouped again (the walk). One that only gained keys can only join
  -- cards (card_attach), and a merged one whose data changed may change its card's lead.
  PERFORM card_fresh_reset();
  WITH changed AS (
    SELECT n.id, n.person_id, o.data AS was, n.data AS now
    FROM old_rows o JOIN new_rows n USING (id) WHERE o.data <> n.data
  ),
  was AS (SELECT c.person_id, k.kind, k.value, c.id FROM changed c, contact_key_rows(c.was) k),
  now AS (SELECT c.person_id, k.kind, k.value, c.id FROM changed c, contact_key_rows(c.now) k),
  removed AS (
    DELETE FROM contact_keys t USING (SELECT * FROM was EXCEPT SELECT * FROM now) AS x
    WHERE t.person_id = x.person_id AND t.kind = x.kind AND t.value = x.value
      AND t.contact_id = x.id
    RETURNING x.id, x.person_id
  ),
  inserted AS (
    INSERT INTO contact_keys (person_id, kind, value, contact_id)
    SELECT person_id, kind, value, id FROM (SELECT * FROM now EXCEPT SELECT * FROM was) AS x
    ON CONFLICT DO NOTHING
    RETURNING contact_id AS id, person_id, kind, value
  ),
  fresh AS (
    INSERT INTO card_fresh (person_id, id, kind, value)
    SELECT person_id, id, kind, value FROM inserted
  ),
  regroup AS (
    SELECT DISTINCT r.id, r.person_id FROM removed r JOIN card_members m ON m.contact_id = r.id
  )
  SELECT array_agg(id), array_agg(person_id) INTO ids, persons FROM regroup;
  -- The walk below sees every key of the contacts it regroups: they need no attach.
  IF ids IS NOT NULL THEN
    DELETE FROM card_fresh WHERE id = ANY (ids);
    FOR person IN SELECT DISTINCT unnest(persons) LOOP
      PERFORM card_regroup(person, ARRAY(
        SELECT i FROM unnest(ids, persons) AS r (i, q) WHERE q = person));
    END LOOP;
  END IF;
  FOR person IN SELECT DISTINCT person_id FROM card_fresh LOOP
    PERFORM card_attach(person);
  END LOOP;
  PERFORM card_relead(ARRAY(
    SELECT DISTINCT m.card_id FROM old_rows o JOIN new_rows n USING (id)
      JOIN card_members m ON m.contact_id = n.id
    WHERE o.data <> n.data AND NOT (n.id = ANY (COALESCE(ids, '{}')))));
  RETURN NULL;
END
$$;

CREATE FUNCTION cards_contacts_removed() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  person uuid;
  ids uuid[];
  cards uuid[];
  hidden integer;
BEGIN
  DELETE FROM contact_keys t
  USING (SELECT o.person_id, k.kind, k.value, o.id FROM gone o, contact_key_rows(o.data) k) AS x
  WHERE t.person_id = x.person_id AND t.kind = x.kind AND t.value = x.value
    AND t.contact_id = x.id;
  FOR person, ids IN SELECT o.person_id, array_agg(o.id) FROM gone o GROUP BY o.person_id LOOP
    WITH left_cards AS (
      DELETE FROM card_members WHERE contact_id = ANY (ids) RETURNING contact_id, card_id
    )
    SELECT array_agg(DISTINCT card_id), count(*) FILTER (WHERE contact_id <> card_id)
    INTO cards, hidden FROM left_cards;
    IF cards IS NOT NULL THEN
      UPDATE card_totals SET merged = merged - hidden WHERE person_id = person AND hidden > 0;
      -- The ones left behind in those cards are grouped again without the removed.
      PERFORM card_regroup(person,
        ARRAY(SELECT contact_id FROM card_members WHERE card_id = ANY (cards)));
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER cards_contacts_added AFTER INSERT ON contacts
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION cards_contacts_added();
CREATE TRIGGER cards_contacts_changed AFTER UPDATE ON contacts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION cards_contacts_changed();
CREATE TRIGGER cards_contacts_removed AFTER DELETE ON contacts
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION cards_contacts_removed();

-- The books imported before this migration.
INSERT INTO contact_keys (person_id, kind, value, contact_id)
SELECT c.person_id, k.kind, k.value, c.id FROM contacts c, contact_key_rows(c.data) k
ON CONFLICT DO NOTHING;
SELECT card_regroup(p.person_id, p.ids)
FROM (SELECT person_id, array_agg(id) AS ids FROM contacts GROUP BY person_id) AS p;

-- Down Migration
DROP TRIGGER cards_contacts_removed ON contacts;
DROP TRIGGER cards_contacts_changed ON contacts;
DROP TRIGGER cards_contacts_added ON contacts;
DROP FUNCTION cards_contacts_removed();
DROP FUNCTION cards_contacts_changed();
DROP FUNCTION cards_contacts_added();
DROP FUNCTION card_fresh_reset();
DROP FUNCTION card_relead(uuid[]);
DROP FUNCTION card_attach(uuid);
DROP FUNCTION card_regroup(uuid, uuid[]);
DROP FUNCTION card_totals_add(uuid, integer);
DROP TABLE card_joins;
DROP TABLE card_splits;
DROP TABLE card_totals;
DROP TABLE card_members;
DROP TABLE contact_keys;
DROP FUNCTION contact_key_rows(jsonb);
DROP FUNCTION contact_email_key(text);
