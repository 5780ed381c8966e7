-- The token cache: one table per entry kind of MSAL's unified cache schema.
-- Tables are created unqualified: the store connects with search_path set to its schema.
--
-- key is the entry's unified-cache key (lower case), unique within a partition.
-- *_folded columns hold the lower-cased (Go strings.ToLower) form of the column they
-- follow: home account ids, environments, client ids and usernames match
-- case-insensitively, as they do in cache keys, and folding in Go rather than with SQL
-- lower() keeps that independent of the database's locale.
-- Times are Unix seconds; the zero time is stored as -62135596800 (0001-01-01 UTC).
-- extra is json, not jsonb, so that fields written by other MSAL libraries round-trip
-- byte for byte (jsonb would reorder keys and rewrite whitespace); NULL when absent.

CREATE TABLE access_tokens (
    partition              text   NOT NULL,
    key                    text   NOT NULL,
    home_account_id        text   NOT NULL,
    home_account_id_folded text   NOT NULL,
    environment            text   NOT NULL,
    environment_folded     text   NOT NULL,
    client_id              text   NOT NULL,
    client_id_folded       text   NOT NULL,
    realm                  text   NOT NULL,
    target                 text   NOT NULL,
    secret                 text   NOT NULL,
    token_type             text   NOT NULL,
    cached_at              bigint NOT NULL,
    expires_on             bigint NOT NULL,
    extended_expires_on    bigint NOT NULL,
    refresh_on             bigint NOT NULL,
    key_id                 text   NOT NULL,
    extra                  json,
    PRIMARY KEY (partition, key)
);
-- Find, Accounts (client filter) and RemoveAccount look tokens up by account and client.
CREATE INDEX access_tokens_account_idx ON access_tokens (partition, home_account_id_folded, client_id_folded);

CREATE TABLE refresh_tokens (
    partition              text   NOT NULL,
    key                    text   NOT NULL,
    home_account_id        text   NOT NULL,
    home_account_id_folded text   NOT NULL,
    environment            text   NOT NULL,
    environment_folded     text   NOT NULL,
    client_id              text   NOT NULL,
    client_id_folded       text   NOT NULL,
    family_id              text   NOT NULL,
    target                 text   NOT NULL,
    secret                 text   NOT NULL,
    cached_at              bigint NOT NULL,
    extra                  json,
    PRIMARY KEY (partition, key)
);
CREATE INDEX refresh_tokens_account_idx ON refresh_tokens (partition, home_account_id_folded, client_id_folded);

CREATE TABLE id_tokens (
    partition              text NOT NULL,
    key                    text NOT NULL,
    home_account_id        text NOT NULL,
    home_account_id_folded text NOT NULL,
    environment            text NOT NULL,
    environment_folded     text NOT NULL,
    client_id              text NOT NULL,
    client_id_folded       text NOT NULL,
    realm                  text NOT NULL,
    secret                 text NOT NULL,
    extra                  json,
    PRIMARY KEY (partition, key)
);
CREATE INDEX id_tokens_account_idx ON id_tokens (partition, home_account_id_folded, client_id_folded);

CREATE TABLE accounts (
    partition              text NOT NULL,
    key                    text NOT NULL,
    home_account_id        text NOT NULL,
    home_account_id_folded text NOT NULL,
    environment            text NOT NULL,
    environment_folded     text NOT NULL,
    realm                  text NOT NULL,
    local_account_id       text NOT NULL,
    username               text NOT NULL,
    username_folded        text NOT NULL,
    name                   text NOT NULL,
    authority_type         text NOT NULL,
    extra                  json,
    PRIMARY KEY (partition, key)
);
CREATE INDEX accounts_home_idx ON accounts (partition, home_account_id_folded);
CREATE INDEX accounts_username_idx ON accounts (partition, username_folded);
CREATE INDEX accounts_environment_idx ON accounts (partition, environment_folded);

CREATE TABLE app_metadata (
    partition          text NOT NULL,
    key                text NOT NULL,
    client_id          text NOT NULL,
    client_id_folded   text NOT NULL,
    environment        text NOT NULL,
    environment_folded text NOT NULL,
    family_id          text NOT NULL,
    extra              json,
    PRIMARY KEY (partition, key)
);
CREATE INDEX app_metadata_client_idx ON app_metadata (partition, client_id_folded);
