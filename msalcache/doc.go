// Package msalcache reads and writes MSAL's unified token-cache document, the JSON file
// that MSAL Python, Go, Java, .NET and Node (and the Azure CLI) keep their tokens in,
// so that a hexauth cache partition can be imported from and exported to it.
//
// The package is a pure codec: Decode turns a document into a domain.CacheSnapshot and
// Encode turns a snapshot back into a document. Moving the snapshot in and out of a
// store is the job of the store's Import and Export (ports.CacheSnapshotter), which
// the app package wires to a client's partition.
//
// # Reading
//
// Decode accepts what the MSAL writers produce: the five sections "AccessToken",
// "RefreshToken", "IdToken", "Account" and "AppMetadata" of objects keyed by entry key,
// section and field names in any letter case, timestamps as strings or numbers of Unix
// seconds, a leading UTF-8 byte-order mark, surrounding whitespace, and the
// refresh-token key of every writer. Entry keys are not trusted: each entry is
// identified by its fields, as domain's Key methods compute it. Fields hexauth does not
// know are kept in the entry's Extra and written back by Encode, and so are top-level
// sections outside the schema (the snapshot's ForeignSections). Nothing of another
// writer is dropped: Decode records how the writer wrote each entry's schema fields (its
// shape, in Extra under ShapeMember), and Encode gives the entry back with exactly those
// fields, written as they were, while it still holds the values read (shape.go).
//
// DecodeReport's Report counts the entries read into the snapshot, per section (what
// the document held, not what a store's Import keeps), and
// lists what cannot be carried rather than failing the document: objects that carry
// none of their section's fields, proof-of-possession
// access tokens, access and refresh tokens with an empty secret, and entries that name
// the same hexauth entry as another one.
// Its Notices name fields read other than as written: an optional timestamp out of
// range (MSAL .NET's DateTime.MinValue) read as absent. Early MSAL Python's array
// targets and float timestamps are read as the schema's string and whole seconds.
// DecodeImport is DecodeReport for an explicit import: it stamps refresh tokens without
// a timestamp (MSAL Go's) with the caller's now, so they replace older stored ones.
// DecodeImportAs adds the importing client's authority, to settle realm-less refresh
// tokens of OIDC issuers (those it cannot tie to an issuer are skipped and reported).
// Anything else that is wrong (malformed JSON, a field of the wrong type, an entry
// without the fields of its key) fails the whole document with a *domain.Error of class
// domain.ErrInvalidInput wrapping an *EntryError that names the section, key and field
// and the line and column in the file. Messages never contain a field's value, so
// secrets never reach them.
//
// # Writing
//
// Encode writes the layout of MSAL Python (the Azure CLI's writer) for hexauth's own
// entries, and each imported entry's writer's fields as it wrote them: keys in MSAL
// Python's form (but a refresh token's in MSAL Go's, which MSAL Go then overwrites when
// it rotates the token), timestamps as strings of Unix seconds, every object's members sorted by
// name, two-space indentation, no HTML escaping and a final newline. The output is a
// function of the snapshot alone, so export, import and export again gives the same
// bytes. docs/cache-schema.md describes the schema and the writers' differences.
package msalcache
