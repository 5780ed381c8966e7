package ports

import "time"

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=clock.go -destination=mocks/clock.go -package=mocks

// Clock tells the time. Nothing in domain or usecases reads the wall clock; tests move
// time through a Clock. Implementations are safe for concurrent use.
type Clock interface {
	Now() time.Time
}
