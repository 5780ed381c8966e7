-- The silent cache hit reads its rows from the heap alone (issue 13).
--
-- An Entra access token row is ~2.2 KB, over Postgres's default TOAST threshold
-- (~2 KB): its secret was compressed (base64 text barely compresses) and moved to the
-- TOAST table, so every hit read a TOAST index and a TOAST page besides the row. Rows
-- under 8160 bytes now stay inline: a hit reads one heap page per row, and the TOAST
-- tables' own pages and index go. Rows written before this version keep their TOAST
-- pointers until their next write (an access token is rewritten at every refresh);
-- VACUUM FULL rewrites them at once.
ALTER TABLE access_tokens SET (toast_tuple_target = 8160);
ALTER TABLE id_tokens SET (toast_tuple_target = 8160);
ALTER TABLE refresh_tokens SET (toast_tuple_target = 8160);
