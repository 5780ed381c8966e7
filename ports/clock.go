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

// Sleeper is an optional capability of a Clock: a clock that waits on its own time.
// Flows that wait (the device flow's polling interval, RFC 8628 §3.5) wait through it
// when the Clock implements it, else on a real timer, so that a test clock can make a
// wait of minutes take no time at all. Sleep returns ctx's error when ctx ends first.
type Sleeper interface {
	Sleep(ctx context.Context, d time.Duration) error
}
