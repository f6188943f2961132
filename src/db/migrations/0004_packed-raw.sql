-- The provider's raw record, packed by the app (address-book/raw-payload.ts): deflate with
-- a preset dictionary of the contacts APIs' record shape, behind a format byte. As json it
-- took 890 bytes a contact on average, most of the row: PostgreSQL compresses a value only
-- once its whole row passes a fixed ~2 kB threshold, which a third of the rows never did,
-- and lz4 without a dictionary gets little from one 1.5 kB record. Packed it is about 270
-- bytes, and the table at 25,000 contacts went from 2,203 to 1,586 bytes a contact. It is
-- only ever read whole (by the app), never searched in SQL.
-- The rows already stored keep their JSON text as it was, as UTF-8 bytes (no JSON text
-- starts with the format byte 0x01), and are read as before; a rewrite packs them.

-- Up Migration
ALTER TABLE contacts ALTER COLUMN raw TYPE bytea USING convert_to(raw::text, 'UTF8');

-- As in 0002: in the row, never moved out of line unless the row cannot fit a page; the
-- unpacked older records still compressed with lz4 where the server has it (a packed one
-- does not compress further, and PostgreSQL keeps a value as it is when compressing it
-- does not pay).
ALTER TABLE contacts ALTER COLUMN raw SET STORAGE MAIN;
DO $$
BEGIN
  EXECUTE 'ALTER TABLE contacts ALTER COLUMN raw SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
  RAISE NOTICE 'lz4 is not available here: contacts.raw keeps pglz compression';
END
$$;

-- Down Migration
-- SQL cannot inflate a packed record: going back refuses while any is stored, rather than
-- lose it (delete the imported contacts, or re-import after downgrading).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM contacts WHERE get_byte(raw, 0) = 1) THEN
    RAISE EXCEPTION 'contacts hold packed raw records (0004); they cannot be turned back into json in SQL';
  END IF;
END
$$;
ALTER TABLE contacts ALTER COLUMN raw TYPE json USING convert_from(raw, 'UTF8')::json;
ALTER TABLE contacts ALTER COLUMN raw SET STORAGE MAIN;
