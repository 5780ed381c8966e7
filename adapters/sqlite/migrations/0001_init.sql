-- The token cache: one table per entry kind of MSAL's unified cache schema, and the
-- rows of the cross-process refresh lock.
--
-- key is the entry's unified-cache key (lower case), unique within a partition;
-- partitions compare exactly. The *_folded columns hold the lower-cased form (Go's
-- strings.ToLower, as in cache keys) of the column they follow: home account ids,
-- environments, client ids and usernames match case-insensitively, and folding in Go
-- keeps that independent of SQLite's ASCII-only lower().
-- Times are Unix seconds; the zero time is stored as -62135596800 (0001-01-01 UTC).
-- extra is a JSON object of the fields other MSAL libraries wrote, kept byte for byte
-- as TEXT; NULL when there are none.

CREATE TABLE access_tokens (
    partition              TEXT    NOT NULL,
    key                    TEXT    NOT NULL,
    home_account_id        TEXT    NOT NULL,
    home_account_id_folded TEXT    NOT NULL,
    environment            TEXT    NOT NULL,
    environment_folded     TEXT    NOT NULL,
    client_id              TEXT    NOT NULL,
    client_id_folded       TEXT    NOT NULL,
    realm                  TEXT    NOT NULL,
    target                 TEXT    NOT NULL,
    secret                 TEXT    NOT NULL,
    token_type             TEXT    NOT NULL,
    cached_at              INTEGER NOT NULL,
    expires_on             INTEGER NOT NULL,
    extended_expires_on    INTEGER NOT NULL,
    refresh_on             INTEGER NOT NULL,
    key_id                 TEXT    NOT NULL,
    extra                  TEXT,
    PRIMARY KEY (partition, key)
);
-- Find (by account), RemoveAccount and the client filter of Accounts (by account and
-- client) use the same index.
CREATE INDEX access_tokens_account ON access_tokens (partition, home_account_id_folded, client_id_folded);

CREATE TABLE refresh_tokens (
    partition              TEXT    NOT NULL,
    key                    TEXT    NOT NULL,
    home_account_id        TEXT    NOT NULL,
    home_account_id_folded TEXT    NOT NULL,
    environment            TEXT    NOT NULL,
    environment_folded     TEXT    NOT NULL,
    client_id              TEXT    NOT NULL,
    client_id_folded       TEXT    NOT NULL,
    family_id              TEXT    NOT NULL,
    target                 TEXT    NOT NULL,
    secret                 TEXT    NOT NULL,
    cached_at              INTEGER NOT NULL,
    extra                  TEXT,
    PRIMARY KEY (partition, key)
);
CREATE INDEX refresh_tokens_account ON refresh_tokens (partition, home_account_id_folded, client_id_folded);

CREATE TABLE id_tokens (
    partition              TEXT NOT NULL,
    key                    TEXT NOT NULL,
    home_account_id        TEXT NOT NULL,
    home_account_id_folded TEXT NOT NULL,
    environment            TEXT NOT NULL,
    environment_folded     TEXT NOT NULL,
    client_id              TEXT NOT NULL,
    client_id_folded       TEXT NOT NULL,
    realm                  TEXT NOT NULL,
    secret                 TEXT NOT NULL,
    extra                  TEXT,
    PRIMARY KEY (partition, key)
);
CREATE INDEX id_tokens_account ON id_tokens (partition, home_account_id_folded, client_id_folded);

CREATE TABLE accounts (
    partition              TEXT NOT NULL,
    key                    TEXT NOT NULL,
    home_account_id        TEXT NOT NULL,
    home_account_id_folded TEXT NOT NULL,
    environment            TEXT NOT NULL,
    environment_folded     TEXT NOT NULL,
    realm                  TEXT NOT NULL,
    local_account_id       TEXT NOT NULL,
    username               TEXT NOT NULL,
    username_folded        TEXT NOT NULL,
    name                   TEXT NOT NULL,
    authority_type         TEXT NOT NULL,
    extra                  TEXT,
    PRIMARY KEY (partition, key)
);
-- Find and RemoveAccount look accounts up by home account (and environment), Accounts by
-- username or environment.
CREATE INDEX accounts_home ON accounts (partition, home_account_id_folded, environment_folded);
CREATE INDEX accounts_username ON accounts (partition, username_folded);
CREATE INDEX accounts_environment ON accounts (partition, environment_folded);

CREATE TABLE app_metadata (
    partition          TEXT NOT NULL,
    key                TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    client_id_folded   TEXT NOT NULL,
    environment        TEXT NOT NULL,
    environment_folded TEXT NOT NULL,
    family_id          TEXT NOT NULL,
    extra              TEXT,
    PRIMARY KEY (partition, key)
);
CREATE INDEX app_metadata_client ON app_metadata (partition, client_id_folded);

-- A held refresh lock: name is the lock key's text (domain.RefreshLockKey.String, ids folded),
-- store_id the Store that holds it, holder the holding call. A row whose expires_at
-- (Unix milliseconds) has passed belongs to a holder that stopped renewing its lease
-- (a crashed process) and may be taken over.
CREATE TABLE refresh_locks (
    name       TEXT    NOT NULL PRIMARY KEY,
    store_id   TEXT    NOT NULL,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
