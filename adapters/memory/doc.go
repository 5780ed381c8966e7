// Package memory holds hexauth's in-process adapters: Store, an in-memory
// ports.CacheStore indexed by partition and home account, and an in-process fake
// identity provider for tests and examples.
//
// Store keeps every entry of a partition in buckets keyed by the folded home account id,
// so a Find costs the same at one cached account and at a million; a secondary index by
// folded username serves account listing with a username filter. Entries are copied in
// and out: a caller can never reach the stored values. Nothing is persisted; the cache
// lives as long as the process.
package memory
