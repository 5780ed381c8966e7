-- Rows as schema version 1 (wave 1) stored them, for the tests of migration 0002 in
-- adapters/sqlite and adapters/postgres: keys and *_folded columns entirely lower-cased.
-- Alice is an OIDC subject as hexauth wrote it (account Generic, realm '': the migration
-- deletes her rows); Bob is an OIDC subject of an MSAL cache imported into hexauth
-- (MSAL Python writes MSSTS and the first path segment as realm: his rows are kept and
-- re-keyed with his case); the GUID id is Entra's, with a realm written in mixed case.
INSERT INTO access_tokens VALUES ('p', 'alice-idp.example-accesstoken-app--read', 'Alice', 'alice', 'idp.example', 'idp.example', 'App', 'app', '', 'read', 'at-alice', 'Bearer', 1900000000, 1900003600, 1900003600, 0, '', NULL);
INSERT INTO refresh_tokens VALUES ('p', 'alice-idp.example-refreshtoken-app--', 'Alice', 'alice', 'idp.example', 'idp.example', 'App', 'app', '', 'read', 'rt-alice', 1900000000, NULL);
INSERT INTO id_tokens VALUES ('p', 'alice-idp.example-idtoken-app--', 'Alice', 'alice', 'idp.example', 'idp.example', 'App', 'app', '', 'idt-alice', NULL);
INSERT INTO accounts VALUES ('p', 'alice-idp.example-', 'Alice', 'alice', 'idp.example', 'idp.example', '', 'Alice', 'alice@idp.example', 'alice@idp.example', 'Alice', 'Generic', NULL);
INSERT INTO access_tokens VALUES ('p', '9f4880d8-80ba-4c40-97bc-f7a23c703084.72f988bf-86f1-41af-91ab-2d7cd011db47-login.microsoftonline.com-accesstoken-app-contoso.onmicrosoft.com-read', '9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47', '9f4880d8-80ba-4c40-97bc-f7a23c703084.72f988bf-86f1-41af-91ab-2d7cd011db47', 'login.microsoftonline.com', 'login.microsoftonline.com', 'app', 'app', 'Contoso.onmicrosoft.com', 'read', 'at-entra', 'Bearer', 1900000000, 1900003600, 1900003600, 0, '', NULL);
INSERT INTO accounts VALUES ('p', '9f4880d8-80ba-4c40-97bc-f7a23c703084.72f988bf-86f1-41af-91ab-2d7cd011db47-login.microsoftonline.com-contoso.onmicrosoft.com', '9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47', '9f4880d8-80ba-4c40-97bc-f7a23c703084.72f988bf-86f1-41af-91ab-2d7cd011db47', 'login.microsoftonline.com', 'login.microsoftonline.com', 'Contoso.onmicrosoft.com', 'oid', 'u@contoso.com', 'u@contoso.com', 'U', 'MSSTS', NULL);
INSERT INTO access_tokens VALUES ('p', 'bob-idp.example-accesstoken-app-realms-read', 'Bob', 'bob', 'idp.example', 'idp.example', 'App', 'app', 'realms', 'read', 'at-bob', 'Bearer', 1900000000, 1900003600, 1900003600, 0, '', NULL);
INSERT INTO refresh_tokens VALUES ('p', 'bob-idp.example-refreshtoken-app--', 'Bob', 'bob', 'idp.example', 'idp.example', 'App', 'app', '', 'read', 'rt-bob', 1900000000, NULL);
INSERT INTO id_tokens VALUES ('p', 'bob-idp.example-idtoken-app-realms-', 'Bob', 'bob', 'idp.example', 'idp.example', 'App', 'app', 'realms', 'idt-bob', NULL);
INSERT INTO accounts VALUES ('p', 'bob-idp.example-realms', 'Bob', 'bob', 'idp.example', 'idp.example', 'realms', 'Bob', 'bob@idp.example', 'bob@idp.example', 'Bob', 'MSSTS', NULL);
INSERT INTO access_tokens VALUES ('p', '-idp.example-accesstoken-daemon--read', '', '', 'idp.example', 'idp.example', 'daemon', 'daemon', '', 'read', 'at-app', 'Bearer', 1900000000, 1900003600, 1900003600, 0, '', NULL);
