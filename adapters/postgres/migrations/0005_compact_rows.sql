-- Rows without stored keys, and each id stored once (issue 13 items 2 and 5).
--
-- 1. The key column and its (partition, key) primary key go. An entry's key (Key())
--    is a function of its identity columns, which the new primary key on (partition,
--    identity) holds: (home account, client, environment, realm, target) for access
--    tokens, the same without the target for refresh and ID tokens, (home account,
--    environment, realm) for account records, (client, environment) for app metadata.
--    Upserts conflict on it, and its leading columns serve Find, FindHit,
--    RemoveAccount and the client filter, so the *_account_idx and accounts_home_idx
--    indexes go too.
-- 2. The id columns written as the entry had them (home_account_id, environment,
--    client_id, target, username) are NULL when they equal their folded column, which
--    readers take instead (coalesce): most ids are written in the case they fold to.
--    Access tokens gain target_folded (the target in its key's case); it is taken from
--    the old key, which Go folded, and not from lower(), which follows the locale.
--
-- 3. Refresh tokens are written packed, in secret_packed (sqlcache.PackSecret: runs of
--    base64url kept as the bytes they encode, 900 bytes for a 1.2 KB Entra token), and
--    secret is NULL. The rows copied here keep their secret as text until their next
--    write (a refresh rotates them); readers take whichever is set.
--
-- Every row is copied: an old key is a function of the new identity, so two old rows
-- never meet on it (DISTINCT ON keeps the newest refresh token if they did). The token
-- tables keep toast_tuple_target = 8160 (migration 0004). The space of the old tables
-- is returned to the operating system when they are dropped.

ALTER TABLE access_tokens RENAME TO access_tokens_0004;
CREATE TABLE access_tokens (
    partition              text   NOT NULL,
    home_account_id_folded text   NOT NULL,
    client_id_folded       text   NOT NULL,
    environment_folded     text   NOT NULL,
    realm                  text   NOT NULL,
    target_folded          text   NOT NULL,
    home_account_id        text,
    environment            text,
    client_id              text,
    target                 text,
    secret                 text   NOT NULL,
    token_type             text   NOT NULL,
    cached_at              bigint NOT NULL,
    expires_on             bigint NOT NULL,
    extended_expires_on    bigint NOT NULL,
    refresh_on             bigint NOT NULL,
    key_id                 text   NOT NULL,
    extra                  json
) WITH (toast_tuple_target = 8160);
INSERT INTO access_tokens
SELECT DISTINCT ON (partition, home_account_id_folded, client_id_folded, environment_folded, realm, target_folded)
       partition, home_account_id_folded, client_id_folded, environment_folded, realm, target_folded,
       nullif(home_account_id, home_account_id_folded), nullif(environment, environment_folded),
       nullif(client_id, client_id_folded), nullif(target, target_folded),
       secret, token_type, cached_at, expires_on, extended_expires_on, refresh_on, key_id, extra
FROM (SELECT o.*, CASE WHEN left(key, length(prefix)) = prefix THEN substr(key, length(prefix) + 1)
                       ELSE lower(target) END AS target_folded
      FROM (SELECT *, home_account_id_folded || '-' || environment_folded || '-accesstoken-' || client_id_folded
                      || '-' || realm || '-' AS prefix
            FROM access_tokens_0004) o) t
ORDER BY partition, home_account_id_folded, client_id_folded, environment_folded, realm, target_folded, cached_at DESC;
DROP TABLE access_tokens_0004;
ALTER TABLE access_tokens ADD PRIMARY KEY
    (partition, home_account_id_folded, client_id_folded, environment_folded, realm, target_folded);

ALTER TABLE refresh_tokens RENAME TO refresh_tokens_0004;
CREATE TABLE refresh_tokens (
    partition              text   NOT NULL,
    home_account_id_folded text   NOT NULL,
    client_id_folded       text   NOT NULL,
    environment_folded     text   NOT NULL,
    realm                  text   NOT NULL,
    home_account_id        text,
    environment            text,
    client_id              text,
    family_id              text   NOT NULL,
    target                 text   NOT NULL,
    secret                 text,
    secret_packed          bytea,
    cached_at              bigint NOT NULL,
    extra                  json
) WITH (toast_tuple_target = 8160);
INSERT INTO refresh_tokens
SELECT DISTINCT ON (partition, home_account_id_folded, client_id_folded, environment_folded, realm)
       partition, home_account_id_folded, client_id_folded, environment_folded, realm,
       nullif(home_account_id, home_account_id_folded), nullif(environment, environment_folded),
       nullif(client_id, client_id_folded), family_id, target, secret, NULL, cached_at, extra
FROM refresh_tokens_0004
ORDER BY partition, home_account_id_folded, client_id_folded, environment_folded, realm, cached_at DESC;
DROP TABLE refresh_tokens_0004;
ALTER TABLE refresh_tokens ADD PRIMARY KEY (partition, home_account_id_folded, client_id_folded, environment_folded, realm);

ALTER TABLE id_tokens RENAME TO id_tokens_0004;
CREATE TABLE id_tokens (
    partition              text NOT NULL,
    home_account_id_folded text NOT NULL,
    client_id_folded       text NOT NULL,
    environment_folded     text NOT NULL,
    realm                  text NOT NULL,
    home_account_id        text,
    environment            text,
    client_id              text,
    secret                 text NOT NULL,
    extra                  json
) WITH (toast_tuple_target = 8160);
INSERT INTO id_tokens
SELECT DISTINCT ON (partition, home_account_id_folded, client_id_folded, environment_folded, realm)
       partition, home_account_id_folded, client_id_folded, environment_folded, realm,
       nullif(home_account_id, home_account_id_folded), nullif(environment, environment_folded),
       nullif(client_id, client_id_folded), secret, extra
FROM id_tokens_0004
ORDER BY partition, home_account_id_folded, client_id_folded, environment_folded, realm;
DROP TABLE id_tokens_0004;
ALTER TABLE id_tokens ADD PRIMARY KEY (partition, home_account_id_folded, client_id_folded, environment_folded, realm);

ALTER TABLE accounts RENAME TO accounts_0004;
CREATE TABLE accounts (
    partition              text NOT NULL,
    home_account_id_folded text NOT NULL,
    environment_folded     text NOT NULL,
    realm                  text NOT NULL,
    home_account_id        text,
    environment            text,
    username               text,
    username_folded        text NOT NULL,
    local_account_id       text NOT NULL,
    name                   text NOT NULL,
    authority_type         text NOT NULL,
    extra                  json
);
INSERT INTO accounts
SELECT DISTINCT ON (partition, home_account_id_folded, environment_folded, realm)
       partition, home_account_id_folded, environment_folded, realm,
       nullif(home_account_id, home_account_id_folded), nullif(environment, environment_folded),
       nullif(username, username_folded), username_folded, local_account_id, name, authority_type, extra
FROM accounts_0004
ORDER BY partition, home_account_id_folded, environment_folded, realm;
DROP TABLE accounts_0004;
ALTER TABLE accounts ADD PRIMARY KEY (partition, home_account_id_folded, environment_folded, realm);
-- Accounts filters by username or environment.
CREATE INDEX accounts_username_idx ON accounts (partition, username_folded);
CREATE INDEX accounts_environment_idx ON accounts (partition, environment_folded);

ALTER TABLE app_metadata RENAME TO app_metadata_0004;
CREATE TABLE app_metadata (
    partition          text NOT NULL,
    client_id_folded   text NOT NULL,
    environment_folded text NOT NULL,
    client_id          text,
    environment        text,
    family_id          text NOT NULL,
    extra              json
);
INSERT INTO app_metadata
SELECT DISTINCT ON (partition, client_id_folded, environment_folded)
       partition, client_id_folded, environment_folded,
       nullif(client_id, client_id_folded), nullif(environment, environment_folded), family_id, extra
FROM app_metadata_0004
ORDER BY partition, client_id_folded, environment_folded;
DROP TABLE app_metadata_0004;
ALTER TABLE app_metadata ADD PRIMARY KEY (partition, client_id_folded, environment_folded);
