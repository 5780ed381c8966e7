package ports

import (
	"context"
	"time"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=clock.go -destination=mocks/clock.go -package=mocks

// Clock tells the time. Nothing in domain or usecases reads the wall clock; tests move
// time through a Clock. Implementations are safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// Browser opens a URL for interactive sign-in (public clients). Open returns once the
// browser was asked to open the URL, not when the user finishes.
type Browser interface {
	Open(ctx context.Context, url string) error
}

// Sealer protects token secrets at rest: the use cases seal a secret before it reaches a
// store and open it after reading, with the entry's cache key as associated data so that
// a sealed secret moved to another entry does not open. Implementations (AES-256-GCM, for
// example) are safe for concurrent use. Open returns an error for tampered data.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}
