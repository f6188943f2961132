-- What a search reads, in a table of its own: one narrow row per contact (its id, person,
-- sort key, card and search text) carrying the trigram index, instead of the search text
-- and its index on the wide contacts rows.
--
-- Why: a search reads every match's row to recheck it and to learn its sort key and card.
-- On contacts, rows of ~1 kB (the data and the packed raw record), six to a page, "mar" at
-- 50,000 contacts matched 2,256 rows on 1,935 pages, and the join to card_members to learn
-- each match's card was another hash of every merged contact: 8.5–9.6 ms a query. Here
-- about fifty rows fit a page and the card is on the row: 5.8 ms (pgbench, one client,
-- warm, alternating; 8.2 ms with this table but the card still joined from card_members).
-- The trigram index is smaller too (137 against 221 bytes a contact, written page by page
-- either way): its posting lists compress the row addresses, which are denser here. One
-- source's book of 25,000 grew from 1,591 to 1,697 bytes a contact (this table's rows,
-- with their room for HOT updates, and its primary key, less the column and the index
-- that left contacts).
--
-- Kept in step with contacts: the import's upsert writes a contact's row here in the same
-- statement (contact-writes.ts), its removal goes with the contact (a statement trigger, for
-- every way a contact is deleted: a sweep, "delete my data", a cascade), and card_id
-- follows card_members (0005's triggers write it; statement triggers on it copy the card
-- here). card_members stays the truth of the cards; card_id here is a copy for reading.
-- No foreign keys, as for contact_keys: written in the same statements as what they would
-- check, a check per row would cost every page.

-- Up Migration
CREATE TABLE contact_search (
  contact_id uuid PRIMARY KEY,
  person_id uuid NOT NULL,
  sort_key text COLLATE "C" NOT NULL,
  -- The lead of the contact's card (card_members), NULL for a contact alone.
  card_id uuid,
  search_text text NOT NULL
) WITH (
  -- Room on each page for a row's next version: a contact joining or leaving a card
  -- rewrites only card_id here, which no index covers, so the new version can stay on its
  -- page (a HOT update) and no index entry is written. Full pages made every card change
  -- a new trigram entry for each of the row's trigrams: the second source of the
  -- benchmark, 30 % of it merging, wrote 20 % slower.
  fillfactor = 90
);

INSERT INTO contact_search (contact_id, person_id, sort_key, card_id, search_text)
SELECT c.id, c.person_id, c.sort_key, m.card_id, c.search_text
FROM contacts c LEFT JOIN card_members m ON m.contact_id = c.id;

-- The pending list as 0002 chose it for the index on contacts.
CREATE INDEX contact_search_trgm ON contact_search USING gin (search_text gin_trgm_ops)
  WITH (gin_pending_list_limit = 1024);

DROP INDEX contacts_search;
ALTER TABLE contacts DROP COLUMN search_text;

-- Each trigger below finds its rows by the primary key, `= ANY (ARRAY(…))`: joined to the
-- transition table instead, the planner reads the whole table (every person's rows) for a
-- few hundred, which it prices below as many probes, each costed as a random read from
-- disk, until the table is many times larger; in memory the probes are faster (measured at
-- 50,000 rows: 500 card changes took 10–14 ms by the scan, 7–8 by probes).
CREATE FUNCTION contact_search_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_search WHERE contact_id = ANY (ARRAY(SELECT id FROM gone));
  RETURN NULL;
END
$$;

CREATE TRIGGER contact_search_removed AFTER DELETE ON contacts
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION contact_search_removed();

-- A card_members row added or moved to another lead: the copy follows.
CREATE FUNCTION contact_search_carded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contact_search s SET card_id = m.card_id FROM carded m
  WHERE s.contact_id = ANY (ARRAY(SELECT contact_id FROM carded))
    AND s.contact_id = m.contact_id AND s.card_id IS DISTINCT FROM m.card_id;
  RETURN NULL;
END
$$;

-- A row removed: the contact is alone now, unless it has a row again already. (card_regroup
-- deletes a card's rows, then inserts the new ones, in two statements: each fires its own
-- trigger, in that order.)
CREATE FUNCTION contact_search_uncarded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contact_search s SET card_id = NULL
  WHERE s.contact_id = ANY (ARRAY(SELECT contact_id FROM uncarded)) AND s.card_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM card_members k WHERE k.contact_id = s.contact_id);
  RETURN NULL;
END
$$;

CREATE TRIGGER contact_search_carded AFTER INSERT ON card_members
  REFERENCING NEW TABLE AS carded FOR EACH STATEMENT EXECUTE FUNCTION contact_search_carded();
CREATE TRIGGER contact_search_recarded AFTER UPDATE ON card_members
  REFERENCING NEW TABLE AS carded FOR EACH STATEMENT EXECUTE FUNCTION contact_search_carded();
CREATE TRIGGER contact_search_uncarded AFTER DELETE ON card_members
  REFERENCING OLD TABLE AS uncarded FOR EACH STATEMENT EXECUTE FUNCTION contact_search_uncarded();

-- Down Migration
DROP TRIGGER contact_search_uncarded ON card_members;
DROP TRIGGER contact_search_recarded ON card_members;
DROP TRIGGER contact_search_carded ON card_members;
DROP TRIGGER contact_search_removed ON contacts;
DROP FUNCTION contact_search_uncarded();
DROP FUNCTION contact_search_carded();
DROP FUNCTION contact_search_removed();
ALTER TABLE contacts ADD COLUMN search_text text;
UPDATE contacts c SET search_text = s.search_text FROM contact_search s WHERE s.contact_id = c.id;
-- A contact without a row here (none should be) searches by its name.
UPDATE contacts SET search_text = sort_key WHERE search_text IS NULL;
ALTER TABLE contacts ALTER COLUMN search_text SET NOT NULL,
  ALTER COLUMN search_text SET STORAGE MAIN;
CREATE INDEX contacts_search ON contacts USING gin (search_text gin_trgm_ops)
  WITH (gin_pending_list_limit = 1024);
DROP TABLE contact_search;
