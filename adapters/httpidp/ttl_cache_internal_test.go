package httpidp

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// Failures are remembered per key (an authority), and keys can come from a request's
// input: the map stays bounded however many keys fail, the expired entries are swept
// once it is full, and a failure past the bound is simply not remembered.
func TestTTLCache_failuresBounded(t *testing.T) {
	c := newTTLCache[string](time.Hour, 0)
	now := time.Unix(1_900_000_000, 0)
	clock := func() time.Time { return now }
	down := errors.New("unavailable")
	fetch := func(key string) error {
		_, err := c.fetch(context.Background(), key, clock, func(context.Context) (string, error) { return "", down })
		return err
	}
	for i := range 3 * maxRememberedFailures {
		if err := fetch(fmt.Sprintf("tenant-%d", i)); !errors.Is(err, down) {
			t.Fatalf("fetch = %v; want the failure", err)
		}
	}
	if n := len(c.failures); n > maxRememberedFailures {
		t.Fatalf("%d failures remembered; want at most %d", n, maxRememberedFailures)
	}
	now = now.Add(failureMemory + time.Second)
	if err := fetch("one-more"); !errors.Is(err, down) {
		t.Fatalf("fetch = %v; want the failure", err)
	}
	if n := len(c.failures); n != 1 {
		t.Fatalf("%d failures remembered after the others expired; want them swept, 1 left", n)
	}
}
