package ports

import (
	"context"
	"time"

	"github.com/hexauth/hexauth/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=cache_changes.go -destination=mocks/cache_changes.go -package=mocks

// The interfaces below are optional capabilities of a CacheStore whose storage other
// processes share, discovered by a type assertion (as database/sql/driver's optional
// interfaces are). A near cache in front of the store (adapters/nearcache) uses them to
// learn that another process changed the storage.

// DataVersioner tells that the storage changed, by polling.
type DataVersioner interface {
	// DataVersion returns a number that differs from the one it returned before
	// whenever any connection, of this Store or of another process, has committed a
	// change since (SQLite's PRAGMA data_version, read on a connection that never
	// writes). Equal numbers mean no commit in between. It is cheap (no disk read) and
	// safe for concurrent use.
	DataVersion(ctx context.Context) (uint64, error)
}

// ChangeListener tells that the storage changed, by notification.
type ChangeListener interface {
	// ListenChanges runs one listening session on a connection of its own, calling
	// event for each thing that happens (a domain.ChangeEvent), in order, on the
	// calling goroutine, until ctx is done or the session fails; it returns why (never
	// nil). First domain.ChangeListening, once changes committed from then on will be
	// reported; then domain.ChangeCommitted for each committed Write, Import or
	// RemoveAccount of any Store on the same storage (this one included), and
	// domain.ChangeAlive each time the idle session proved again, every ping interval,
	// that notifications from other sessions reach it. Both ChangeListening and
	// ChangeAlive need that proof, not merely a connection that answers: a session
	// whose notifications are lost (through a transaction-pooling proxy) must end, never
	// be reported alive. A change committed while no session listens is never
	// reported. event must not block for long.
	ListenChanges(ctx context.Context, ping time.Duration, event func(domain.ChangeEvent)) error
}
