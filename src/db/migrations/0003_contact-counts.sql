-- How many contacts each connection holds, kept by the database itself as rows come and go,
-- so that every view of the address book (which shows the number of contacts, in all and
-- per source) reads one small row per connection instead of counting the book: a count(*)
-- of 25,000 contacts reads the whole table (47 ms here, 670 ms the first time after an
-- import), twice a page view, and made /contacts 30 times slower than the start page.
-- Statement-level triggers with transition tables keep it: one aggregate per statement
-- (a page of 1,000 rows is one), whichever code wrote the rows — the import's upsert, a
-- relink, a sweep, "delete my data", or a cascade from a deleted connection or person.
-- Concurrent writers add their own deltas to the row (ON CONFLICT … DO UPDATE), so the
-- count stays exact without anyone counting again.

-- Up Migration
CREATE TABLE contact_counts (
  connection_id uuid PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
  -- Repeated from connections, as on contacts: the reads are scoped by person.
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  contacts integer NOT NULL DEFAULT 0
);

CREATE INDEX contact_counts_person ON contact_counts (person_id);

CREATE FUNCTION contact_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO contact_counts AS k (connection_id, person_id, contacts)
  SELECT connection_id, person_id, count(*) FROM added GROUP BY connection_id, person_id
  ON CONFLICT (connection_id) DO UPDATE SET contacts = k.contacts + EXCLUDED.contacts;
  RETURN NULL;
END
$$;

CREATE FUNCTION contact_counts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A cascade from a deleted connection may have removed its count row already: then
  -- there is nothing to update, which is right.
  UPDATE contact_counts k SET contacts = k.contacts - gone.n
  FROM (SELECT connection_id, count(*) AS n FROM removed GROUP BY connection_id) gone
  WHERE k.connection_id = gone.connection_id;
  RETURN NULL;
END
$$;

-- A contact row never moves to another connection (relink changes only its external id):
-- INSERT and DELETE are all that change a count.
CREATE TRIGGER contact_counts_added AFTER INSERT ON contacts
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_counts_added();
CREATE TRIGGER contact_counts_removed AFTER DELETE ON contacts
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION contact_counts_removed();

-- The books imported before this migration.
INSERT INTO contact_counts (connection_id, person_id, contacts)
SELECT connection_id, person_id, count(*) FROM contacts GROUP BY connection_id, person_id;

-- Down Migration
DROP TRIGGER contact_counts_removed ON contacts;
DROP TRIGGER contact_counts_added ON contacts;
DROP FUNCTION contact_counts_removed();
DROP FUNCTION contact_counts_added();
DROP TABLE contact_counts;
