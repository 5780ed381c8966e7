// Package memory holds hexauth's in-process adapters: Store, an in-memory
// ports.CacheStore indexed by partition and home account, and an in-process fake
// identity provider for tests and examples.
//
// Store keeps every entry of a partition in buckets keyed by the folded home account id,
// so a Find costs the same at one cached account and at a million; a secondary index by
// a hash of the folded username serves account listing with a username filter. An
// account's entries are packed into two immutable strings: one with what a silent hit
// reads (access tokens, ID tokens, account records, every short field stored once), one
// with the refresh tokens, whose base64url text is kept as the bytes it encodes. An
// account of Entra-sized tokens thus costs its tokens' bytes and about 550 more
// (docs/benchmarks.md), and a hit hands out substrings of the packed form without
// copying a token. Nothing mutable is shared: strings are immutable, and every read
// builds its Extra maps anew. Nothing is persisted; the cache lives as long as the
// process.
package memory
