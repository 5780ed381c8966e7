-- Foreign sections: the top-level sections of an imported MSAL cache document other
-- than the five of the schema (MSAL Go's unknownEntity, another writer's extension),
-- kept per partition so that an export writes them back (domain.ForeignSection).
--
-- key is the section's name (exact: JSON member names are case-sensitive); value is
-- its JSON, compact, kept byte for byte as TEXT. An import of a section of the same name
-- replaces the row whole. RemoveAccount never deletes one. A sealing store keeps the
-- value sealed (a JSON string), as it seals token secrets.

CREATE TABLE foreign_sections (
    partition TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (partition, key)
);
