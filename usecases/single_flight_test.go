package usecases

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"golang.org/x/sync/singleflight"
)

// joinedContext is a waiter's context that says when the waiter has joined the running
// call: shared first asks for Done in its wait, after DoChan returned. The first call
// waits for that before it ends, so the waiter joins however slowly a loaded machine
// runs it, instead of arriving after the first caller's 100 ms and starting its own.
type joinedContext struct {
	context.Context
	once   sync.Once
	joined chan struct{}
}

func (c *joinedContext) Done() <-chan struct{} {
	c.once.Do(func() { close(c.joined) })
	return c.Context.Done()
}

// waiterContext returns a joinedContext with a minute left.
func waiterContext(t *testing.T) *joinedContext {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return &joinedContext{Context: ctx, joined: make(chan struct{})}
}

// A caller with a short deadline starts a shared refresh that outlives it; a waiter
// with time left must not inherit that deadline's failure.
func TestShared_waiterOutlivesTheFirstCallersDeadline(t *testing.T) {
	var g singleflight.Group
	long := waiterContext(t)
	var calls atomic.Int32
	started := make(chan struct{})
	fn := func(ctx context.Context) (domain.AuthResult, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-long.joined // only then may the call end (a loaded machine may be slow to join)
			<-ctx.Done()  // a provider slower than the first caller's deadline
			return domain.AuthResult{}, &domain.Error{Class: domain.ErrUnavailable, Err: ctx.Err()}
		}
		return domain.AuthResult{AccessToken: "fresh"}, nil
	}
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	firstErr := make(chan error, 1)
	go func() {
		_, err := shared(short, &g, "k", testFlight, fn)
		firstErr <- err
	}()
	<-started
	res, err := shared(long, &g, "k", testFlight, fn)
	if err != nil || res.AccessToken != "fresh" {
		t.Fatalf("waiter got (%q, %v); want the result of a second attempt under its own deadline", res.AccessToken, err)
	}
	if err := <-firstErr; err == nil {
		t.Fatal("the first caller got no error although its deadline passed")
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("fn ran %d times; want 2 (the expired attempt, then the waiter's)", n)
	}
}

// Tokens that came back uncached when the first caller's deadline passed (the store
// write ran out of time) go to the waiter with their error: another attempt would
// redeem the refresh token they just replaced.
func TestShared_uncachedTokensAreNotRetriedAway(t *testing.T) {
	var g singleflight.Group
	long := waiterContext(t)
	var calls atomic.Int32
	started := make(chan struct{})
	fn := func(ctx context.Context) (domain.AuthResult, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-long.joined // only then may the call end (a loaded machine may be slow to join)
		}
		<-ctx.Done() // the store's write outlives the first caller's deadline
		return domain.AuthResult{AccessToken: "new-at", RefreshToken: "new-rt"}, &domain.Error{Class: domain.ErrCacheStore, Err: ctx.Err()}
	}
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	go func() { _, _ = shared(short, &g, "k", testFlight, fn) }()
	<-started
	res, err := shared(long, &g, "k", testFlight, fn)
	if !errors.Is(err, domain.ErrCacheStore) || res.RefreshToken != "new-rt" {
		t.Fatalf("waiter got (refresh token %q, %v); want the uncached tokens with ErrCacheStore", res.RefreshToken, err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("fn ran %d times; want 1", n)
	}
}

// A failure that is not the first caller's deadline is returned, not retried.
func TestShared_doesNotRetryOtherFailures(t *testing.T) {
	var g singleflight.Group
	var calls atomic.Int32
	fn := func(ctx context.Context) (domain.AuthResult, error) {
		calls.Add(1)
		return domain.AuthResult{}, domain.Errorf(domain.ErrInvalidGrant, "refused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := shared(ctx, &g, "k", testFlight, fn); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Fatalf("error = %v; want ErrInvalidGrant", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("fn ran %d times; a refused grant must be sent once", n)
	}
}

// A panicking port adapter fails the callers with a typed error; the process lives, and
// the log says where it happened without repeating the panic value.
func TestShared_panicBecomesAnError(t *testing.T) {
	var g singleflight.Group
	fn := func(context.Context) (domain.AuthResult, error) {
		panic("adapter bug holding secret-value")
	}
	var logged strings.Builder
	fl := flight{op: "silent", e: &engine{log: slog.New(slog.NewTextHandler(&logged, nil))}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := shared(ctx, &g, "k", fl, fn)
	if !errors.Is(err, domain.ErrUnavailable) || !strings.HasPrefix(err.Error(), "hexauth: silent:") {
		t.Fatalf("error = %v; want ErrUnavailable under the caller's op", err)
	}
	if msg := err.Error(); strings.Contains(msg, "secret-value") {
		t.Fatalf("error %q repeats the panic value", msg)
	}
	if log := logged.String(); strings.Contains(log, "secret-value") || !strings.Contains(log, "single_flight_test.go") {
		t.Fatalf("log %q: want the stack (naming this file) and not the panic value", log)
	}
}

// Callers of one key that arrive while its call runs share that call.
func TestShared_concurrentCallersShareOneCall(t *testing.T) {
	var g singleflight.Group
	var calls atomic.Int32
	var released atomic.Bool
	started, release := make(chan struct{}), make(chan struct{})
	fn := func(context.Context) (domain.AuthResult, error) {
		if n := calls.Add(1); n == 1 {
			close(started)
		} else if !released.Load() {
			t.Errorf("a second call (%d) started while the first was running; want it joined", n)
		}
		<-release
		return domain.AuthResult{AccessToken: "shared"}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results := make(chan domain.AuthResult, 10)
	for range 10 {
		go func() {
			res, err := shared(ctx, &g, "k", testFlight, fn)
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	<-started
	// The others join the running call; one that a loaded machine delays past the
	// release starts a call of its own, which is no fault of shared.
	time.Sleep(50 * time.Millisecond)
	released.Store(true)
	close(release)
	for range 10 {
		if res := <-results; res.AccessToken != "shared" {
			t.Fatalf("a caller got %q; want the shared result", string(res.AccessToken))
		}
	}
}

var testFlight = flight{op: "test", e: &engine{log: slog.New(slog.DiscardHandler)}}
