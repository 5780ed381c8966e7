package ports

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=sealer.go -destination=mocks/sealer.go -package=mocks

// Sealer protects token secrets at rest: the use cases seal a secret before it reaches a
// store and open it after reading, with the entry's cache key as associated data so that
// a sealed secret moved to another entry does not open. Implementations (AES-256-GCM, for
// example) are safe for concurrent use. Open returns an error for tampered data.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}
