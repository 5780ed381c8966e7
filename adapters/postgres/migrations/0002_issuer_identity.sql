-- Token identity for every provider (docs/adr/0006-issuer-scoped-cache-identity.md).
--
-- 1. Refresh tokens of OIDC issuers carry the issuer realm (the issuer's path), so that
--    two issuers on one host never share one; it is part of their key. Existing rows
--    get '' (an issuer at the host's root, and every Entra, B2C and ADFS token).
-- 2. Home account ids keep their case unless they are Entra's uid.utid (two GUIDs, or
--    uid-policy.utid for B2C): OIDC subjects Alice and alice are two people. Rows of
--    such ids get home_account_id_folded = home_account_id, and their key the id in its
--    case: the old key is the lower-cased id followed by the rest, so the rest is kept.
-- 3. Realms are stored as cache keys use them: tenant realms (all that existed before
--    this version) lower-cased, as the keys already held them.
-- Rows that were merged by the old case folding stay merged: one row, the last written.
-- OIDC issuers with a path had realm '' before; such rows are no longer served for that
-- issuer (a sign-in again, never a wrong token).

ALTER TABLE refresh_tokens ADD COLUMN realm text NOT NULL DEFAULT '';

UPDATE access_tokens SET realm = lower(realm) WHERE realm <> lower(realm);
UPDATE id_tokens SET realm = lower(realm) WHERE realm <> lower(realm);
UPDATE accounts SET realm = lower(realm) WHERE realm <> lower(realm);

UPDATE access_tokens
SET key = home_account_id || substr(key, length(home_account_id_folded) + 1),
    home_account_id_folded = home_account_id
WHERE home_account_id_folded <> home_account_id
  AND home_account_id !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(-.*)?\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

UPDATE refresh_tokens
SET key = home_account_id || substr(key, length(home_account_id_folded) + 1),
    home_account_id_folded = home_account_id
WHERE home_account_id_folded <> home_account_id
  AND home_account_id !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(-.*)?\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

UPDATE id_tokens
SET key = home_account_id || substr(key, length(home_account_id_folded) + 1),
    home_account_id_folded = home_account_id
WHERE home_account_id_folded <> home_account_id
  AND home_account_id !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(-.*)?\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

UPDATE accounts
SET key = home_account_id || substr(key, length(home_account_id_folded) + 1),
    home_account_id_folded = home_account_id
WHERE home_account_id_folded <> home_account_id
  AND home_account_id !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(-.*)?\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
