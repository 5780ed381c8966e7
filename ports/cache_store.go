package ports

import (
	"context"

	"github.com/hexauth/hexauth/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=cache_store.go -destination=mocks/cache_store.go -package=mocks

// CacheStore is record-level, partition-scoped storage of MSAL unified-cache entries.
// It is the union of the small role interfaces below; an adapter implements all of them.
//
// Contract common to every method:
//   - Safe for concurrent use by many goroutines; persistent stores are also safe for
//     several processes sharing the same storage.
//   - Partition isolation: nothing written in one partition is visible from, changed
//     by or removed through another. The zero partition is "".
//   - ctx bounds the call; a done ctx makes it return an error wrapping ctx.Err().
//   - Failures are *domain.Error of class domain.ErrCacheStore wrapping the cause;
//     after Close every method returns such an error, never panics.
//   - A stored entry that cannot be read back (corrupt row) is skipped as a miss and
//     reported through the store's logger; it is never returned half-read.
//   - Times round-trip at second precision; Extra fields round-trip byte for byte. An
//     Extra value that is not valid JSON is refused (ErrInvalidInput wrapped in
//     ErrCacheStore) and fails the whole Write or Import.
//   - Home account ids match as domain.FoldHomeAccountID says: an id shaped like
//     Entra's uid.utid case-insensitively, every other id exactly — "Alice" and
//     "alice" are two accounts with two sets of entries. On an OIDC issuer, where a
//     sub is case-sensitive whatever its shape, the use cases drop the entries whose
//     home account id is not exactly the account's (domain.Authority.SameHomeAccountID). Environments and client ids match
//     case-insensitively, as the unified-cache keys lower-case them, and an environment
//     matches its aliases (domain.MatchEnvironment) on every path: Find, Accounts with
//     its client filter, RemoveAccount; realms match
//     exactly (an OIDC issuer's path is case-sensitive); usernames match by
//     domain.FoldUsername.
type CacheStore interface {
	TokenReader
	TokenWriter
	AccountStore
	RefreshLocker
	CacheSnapshotter
	// Close releases the store's resources. It is safe to call more than once.
	Close() error
}

// TokenReader finds the entries of one account.
type TokenReader interface {
	// Find returns the entries of q.HomeAccountID in q.Partition whose environment is one
	// of q.Environments (all when empty): access, refresh and ID tokens of every client
	// and the account records, plus the app metadata of q.ClientID. It uses an index:
	// its cost does not grow with the number of accounts in the store. Nothing found is
	// not an error.
	Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error)
}

// TokenWriter stores token responses.
type TokenWriter interface {
	// Write applies w atomically: either every upsert and deletion happens, or none.
	// Entries are identified by their Key() within w.Partition. A refresh token replaces
	// the stored one of the same key only if its CachedAt is not older (second
	// precision).
	Write(ctx context.Context, w domain.CacheWrite) error
}

// AccountStore lists and removes accounts.
type AccountStore interface {
	// Accounts returns the account records matching f, one per key, in no particular
	// order.
	Accounts(ctx context.Context, f domain.AccountFilter) ([]domain.Account, error)
	// RemoveAccount deletes, atomically, the entries r names (see domain.AccountRemoval).
	// Removing an account that does not exist is not an error.
	RemoveAccount(ctx context.Context, r domain.AccountRemoval) error
}

// RefreshLocker serialises refreshes of the same tokens.
type RefreshLocker interface {
	// WithRefreshLock runs fn while holding the lock named by key, and releases it when
	// fn returns, whatever it returns, or panics. At most one holder runs at a time for one key;
	// persistent stores extend this across processes. Waiting for the lock honours ctx.
	// fn's result is returned as is. The lock is not reentrant.
	WithRefreshLock(ctx context.Context, key domain.RefreshLockKey, fn func(ctx context.Context) error) error
}

// CacheSnapshotter moves a whole partition in and out, for MSAL cache interop and
// backups.
type CacheSnapshotter interface {
	// Export returns every entry of partition.
	Export(ctx context.Context, partition string) (domain.CacheSnapshot, error)
	// Import upserts every entry of s into partition atomically (refresh tokens obey the
	// same ordering as Write). Entries of the partition not in s are kept.
	Import(ctx context.Context, partition string, s domain.CacheSnapshot) error
}

// PartitionClearer is an optional capability of a CacheStore, discovered by a type
// assertion: deleting a partition whole ("hexauth cache clear", a tenant offboarded).
type PartitionClearer interface {
	// ClearPartition deletes, atomically, every entry of partition: access, refresh
	// and ID tokens, accounts, app metadata and foreign sections. Other partitions are
	// untouched; clearing an empty partition is not an error.
	ClearPartition(ctx context.Context, partition string) error
}

// HitReader is an optional capability of a CacheStore, discovered by a type assertion
// (as database/sql/driver's optional interfaces are): the narrow read a silent cache
// hit needs. The silent flow serves a hit from it and reads the account again with Find
// only when it finds no usable access token there; a store without it is read with Find.
type HitReader interface {
	// FindHit returns what Find(ctx, q) returns, less the refresh tokens, the app
	// metadata and the access and ID tokens of clients other than q.ClientID (compared
	// case-insensitively): the access and ID tokens of q.ClientID and the account
	// records of q.HomeAccountID in q.Partition, in one of q.Environments, matched
	// exactly as Find matches them. Every rule of Find and of the CacheStore contract
	// holds, and it reads one consistent state: an entry written or removed by one
	// Write or RemoveAccount is seen whole or not at all.
	FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error)
}

// StableSecrets is an optional capability of a CacheStore, discovered by a type
// assertion. A store that has it promises that every secret its reads return is a
// string the Go runtime allocated (never built over memory outside the Go heap, nor
// over a buffer the store reuses), whose bytes never change. The silent flow then
// recognizes an ID token whose claims it parsed by the string's address, checked to be
// the same live allocation with a weak pointer, instead of hashing and comparing its
// text on every hit. It pays when a repeat read of an unchanged entry returns the same
// string; a store that decodes or copies secrets on each read gains nothing from it.
type StableSecrets interface {
	// StableSecrets marks the capability; it does nothing.
	StableSecrets()
}
