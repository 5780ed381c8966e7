-- Hit keys: a silent hit searches a small index instead of the wide identity index
-- (issue 13 item 2).
--
-- A silent hit reads an account's access and ID tokens for one client and its account
-- records. Through the identity indexes (keys of ~200 bytes: every id of the entry)
-- each of the three costs an index search and a table search, whose leaf pages a cache
-- of 100,000 accounts rarely has in the CPU's caches: at that size the time of a hit
-- was mostly memory stalls, not SQL. hit_key is a 32-bit hash, computed in Go
-- (adapters/sqlite/hit.go, hitKey), of the row's partition and folded home account id,
-- and its index holds entries of ~15 bytes: 1.4 MB for 100,000 rows, which stay
-- cached. The hit still compares every column it filters on (the client id too), so
-- two accounts whose keys collide cost a row more, never a wrong answer.
--
-- 0 means "not computed yet": the rows migrated here, and rows another tool inserts.
-- The hit reads them too (a second search, for 0), so a row without its key is found
-- as before; Open computes the keys of such rows after migrating (backfillHitKeys).
-- Refresh tokens, app metadata and foreign sections are not read by the hit.

ALTER TABLE access_tokens ADD COLUMN hit_key INTEGER NOT NULL DEFAULT 0;
CREATE INDEX access_tokens_hit ON access_tokens (hit_key);
ALTER TABLE id_tokens ADD COLUMN hit_key INTEGER NOT NULL DEFAULT 0;
CREATE INDEX id_tokens_hit ON id_tokens (hit_key);
ALTER TABLE accounts ADD COLUMN hit_key INTEGER NOT NULL DEFAULT 0;
CREATE INDEX accounts_hit ON accounts (hit_key);
