-- Rows without stored keys, and each id stored once (issue 13 items 2 and 5).
--
-- 1. The key column and its (partition, key) index go. An entry's key (Key()) is a
--    function of its identity columns, which a unique index on (partition, identity)
--    holds: (home account, client, environment, realm, target) for access tokens, the
--    same without the target for refresh and ID tokens, (home account, environment,
--    realm) for account records, (client, environment) for app metadata. Upserts
--    conflict on that index; a silent hit reads the access and ID tokens through its
--    leading (partition, home account, client) columns and the accounts through
--    (partition, home account), so the separate *_account and accounts_home indexes
--    go too.
-- 2. The id columns written as the entry had them (home_account_id, environment,
--    client_id, target, username) are NULL when they equal their folded column, which
--    readers take instead (coalesce): most ids are written in the case they fold to.
--    Access tokens gain target_folded (the target in its key's case); it is taken from
--    the old key, which Go folded, and not from SQLite's ASCII-only lower().
--
-- 3. Refresh tokens are written packed, in secret_packed (sqlcache.PackSecret: runs of
--    base64url kept as the bytes they encode, 900 bytes for a 1.2 KB Entra token), and
--    secret is NULL. The rows copied here keep their secret as text until their next
--    write (a refresh rotates them); readers take whichever is set.
--
-- Every row is copied, through a temporary table: no ALTER TABLE ... RENAME, which
-- re-parses the whole schema each time, a cost every new database (every test's) would
-- pay on its first Open. An old key is a function of the new identity, so two old rows
-- never meet on it. The file keeps its size until VACUUM; the old tables' pages are
-- reused by later writes.

CREATE TEMP TABLE access_tokens_0003 AS SELECT rowid AS old_rowid, * FROM access_tokens;
DROP TABLE access_tokens;
CREATE TABLE access_tokens (
    partition              TEXT    NOT NULL,
    home_account_id_folded TEXT    NOT NULL,
    client_id_folded       TEXT    NOT NULL,
    environment_folded     TEXT    NOT NULL,
    realm                  TEXT    NOT NULL,
    target_folded          TEXT    NOT NULL,
    home_account_id        TEXT,
    environment            TEXT,
    client_id              TEXT,
    target                 TEXT,
    secret                 TEXT    NOT NULL,
    token_type             TEXT    NOT NULL,
    cached_at              INTEGER NOT NULL,
    expires_on             INTEGER NOT NULL,
    extended_expires_on    INTEGER NOT NULL,
    refresh_on             INTEGER NOT NULL,
    key_id                 TEXT    NOT NULL,
    extra                  TEXT
);
CREATE UNIQUE INDEX access_tokens_identity
    ON access_tokens (partition, home_account_id_folded, client_id_folded, environment_folded, realm, target_folded);
INSERT OR IGNORE INTO access_tokens
SELECT partition, home_account_id_folded, client_id_folded, environment_folded, realm, target_folded,
       nullif(home_account_id, home_account_id_folded), nullif(environment, environment_folded),
       nullif(client_id, client_id_folded), nullif(target, target_folded),
       secret, token_type, cached_at, expires_on, extended_expires_on, refresh_on, key_id, extra
FROM (SELECT *, CASE WHEN substr(key, 1, length(prefix)) = prefix THEN substr(key, length(prefix) + 1)
                     ELSE lower(target) END AS target_folded
      FROM (SELECT *, home_account_id_folded || '-' || environment_folded || '-accesstoken-' || client_id_folded
                      || '-' || realm || '-' AS prefix
            FROM temp.access_tokens_0003))
ORDER BY old_rowid;
DROP TABLE temp.access_tokens_0003;

CREATE TEMP TABLE refresh_tokens_0003 AS SELECT rowid AS old_rowid, * FROM refresh_tokens;
DROP TABLE refresh_tokens;
CREATE TABLE refresh_tokens (
    partition              TEXT    NOT NULL,
    home_account_id_folded TEXT    NOT NULL,
    client_id_folded       TEXT    NOT NULL,
    environment_folded     TEXT    NOT NULL,
    realm                  TEXT    NOT NULL,
    home_account_id        TEXT,
    environment            TEXT,
    client_id              TEXT,
    family_id              TEXT    NOT NULL,
    target                 TEXT    NOT NULL,
    secret                 TEXT,
    secret_packed          BLOB,
    cached_at              INTEGER NOT NULL,
    extra                  TEXT
);
CREATE UNIQUE INDEX refresh_tokens_identity
    ON refresh_tokens (partition, home_account_id_folded, client_id_folded, environment_folded, realm);
INSERT OR IGNORE INTO refresh_tokens
SELECT partition, home_account_id_folded, client_id_folded, environment_folded, realm,
       nullif(home_account_id, home_account_id_folded), nullif(environment, environment_folded),
       nullif(client_id, client_id_folded), family_id, target, secret, NULL, cached_at, extra
FROM temp.refresh_tokens_0003
ORDER BY typeof(cached_at) = 'integer' DESC, cached_at DESC, old_rowid;
DROP TABLE temp.refresh_tokens_0003;

CREATE TEMP TABLE id_tokens_0003 AS SELECT rowid AS old_rowid, * FROM id_tokens;
DROP TABLE id_tokens;
CREATE TABLE id_tokens (
    partition              TEXT NOT NULL,
    home_account_id_folded TEXT NOT NULL,
    client_id_folded       TEXT NOT NULL,
    environment_folded     TEXT NOT NULL,
    realm                  TEXT NOT NULL,
    home_account_id        TEXT,
    environment            TEXT,
    client_id              TEXT,
    secret                 TEXT NOT NULL,
    extra                  TEXT
);
CREATE UNIQUE INDEX id_tokens_identity
    ON id_tokens (partition, home_account_id_folded, client_id_folded, environment_folded, realm);
INSERT OR IGNORE INTO id_tokens
SELECT partition, home_account_id_folded, client_id_folded, environment_folded, realm,
       nullif(home_account_id, home_account_id_folded), nullif(environment, environment_folded),
       nullif(client_id, client_id_folded), secret, extra
FROM temp.id_tokens_0003
ORDER BY old_rowid;
DROP TABLE temp.id_tokens_0003;

CREATE TEMP TABLE accounts_0003 AS SELECT rowid AS old_rowid, * FROM accounts;
DROP TABLE accounts;
CREATE TABLE accounts (
    partition              TEXT NOT NULL,
    home_account_id_folded TEXT NOT NULL,
    environment_folded     TEXT NOT NULL,
    realm                  TEXT NOT NULL,
    home_account_id        TEXT,
    environment            TEXT,
    username               TEXT,
    username_folded        TEXT NOT NULL,
    local_account_id       TEXT NOT NULL,
    name                   TEXT NOT NULL,
    authority_type         TEXT NOT NULL,
    extra                  TEXT
);
CREATE UNIQUE INDEX accounts_identity ON accounts (partition, home_account_id_folded, environment_folded, realm);
INSERT OR IGNORE INTO accounts
SELECT partition, home_account_id_folded, environment_folded, realm,
       nullif(home_account_id, home_account_id_folded), nullif(environment, environment_folded),
       nullif(username, username_folded), username_folded, local_account_id, name, authority_type, extra
FROM temp.accounts_0003
ORDER BY old_rowid;
DROP TABLE temp.accounts_0003;
-- Accounts filters by username or environment.
CREATE INDEX accounts_username ON accounts (partition, username_folded);
CREATE INDEX accounts_environment ON accounts (partition, environment_folded);

CREATE TEMP TABLE app_metadata_0003 AS SELECT rowid AS old_rowid, * FROM app_metadata;
DROP TABLE app_metadata;
CREATE TABLE app_metadata (
    partition          TEXT NOT NULL,
    client_id_folded   TEXT NOT NULL,
    environment_folded TEXT NOT NULL,
    client_id          TEXT,
    environment        TEXT,
    family_id          TEXT NOT NULL,
    extra              TEXT
);
CREATE UNIQUE INDEX app_metadata_identity ON app_metadata (partition, client_id_folded, environment_folded);
INSERT OR IGNORE INTO app_metadata
SELECT partition, client_id_folded, environment_folded,
       nullif(client_id, client_id_folded), nullif(environment, environment_folded), family_id, extra
FROM temp.app_metadata_0003
ORDER BY old_rowid;
DROP TABLE temp.app_metadata_0003;
