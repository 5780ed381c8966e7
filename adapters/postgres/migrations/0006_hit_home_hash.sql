-- The silent hit's access and ID tokens are found through a small index (issue 13).
--
-- The hit searched each token table's primary key, whose tuples lead with the long
-- folded ids (~200 bytes): at 100,000 accounts each key has three levels and 21-23 MB
-- of leaves, and with PostgreSQL's default 128 MB of shared buffers the hit read 0.67
-- index pages a call from outside them (pg_statio). An index of the 4-byte hash of the
-- folded home account id has two levels and 2-3 MB for the same rows: it stays in the
-- buffers, a hit reads two pages fewer, and 5,000 active accounts spread over 100,000
-- keep all their pages in the buffers (before, 1 page a hit came from outside). It is
-- only an access path: the hit still compares partition, home account id and client id
-- in full, so two ids of one hash never see each other's rows. hashtext is the server's
-- own, IMMUTABLE function, computed by the server on both sides. Account records keep
-- their primary key: their rows are small and their pages few. The planner takes these
-- indexes once the tables are analyzed (autovacuum does after a load).
CREATE INDEX access_tokens_home_hash_idx ON access_tokens (hashtext(home_account_id_folded));
CREATE INDEX id_tokens_home_hash_idx ON id_tokens (hashtext(home_account_id_folded));
