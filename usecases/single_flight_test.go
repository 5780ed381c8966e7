package usecases

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"golang.org/x/sync/singleflight"
)

// A caller with a short deadline starts a shared refresh that outlives it; a waiter
// with time left must not inherit that deadline's failure.
func TestShared_waiterOutlivesTheFirstCallersDeadline(t *testing.T) {
	var g singleflight.Group
	var calls atomic.Int32
	started := make(chan struct{})
	fn := func(ctx context.Context) (domain.AuthResult, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-ctx.Done() // a provider slower than the first caller's deadline
			return domain.AuthResult{}, &domain.Error{Class: domain.ErrUnavailable, Err: ctx.Err()}
		}
		return domain.AuthResult{AccessToken: "fresh"}, nil
	}
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	firstErr := make(chan error, 1)
	go func() {
		_, err := shared(short, &g, "k", fn)
		firstErr <- err
	}()
	<-started
	long, cancelLong := context.WithTimeout(context.Background(), time.Minute)
	defer cancelLong()
	res, err := shared(long, &g, "k", fn)
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
	if _, err := shared(ctx, &g, "k", fn); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Fatalf("error = %v; want ErrInvalidGrant", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("fn ran %d times; a refused grant must be sent once", n)
	}
}

// A panicking port adapter fails the callers with a typed error; the process lives.
func TestShared_panicBecomesAnError(t *testing.T) {
	var g singleflight.Group
	fn := func(context.Context) (domain.AuthResult, error) {
		panic("adapter bug holding secret-value")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := shared(ctx, &g, "k", fn)
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("error = %v; want ErrUnavailable", err)
	}
	if msg := err.Error(); strings.Contains(msg, "secret-value") {
		t.Fatalf("error %q repeats the panic value", msg)
	}
}

// Callers of one key that arrive while its call runs share that call.
func TestShared_concurrentCallersShareOneCall(t *testing.T) {
	var g singleflight.Group
	var calls atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	fn := func(context.Context) (domain.AuthResult, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return domain.AuthResult{AccessToken: "shared"}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results := make(chan domain.AuthResult, 10)
	for range 10 {
		go func() {
			res, err := shared(ctx, &g, "k", fn)
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	<-started
	time.Sleep(50 * time.Millisecond) // the other nine join the running call
	close(release)
	for range 10 {
		if res := <-results; res.AccessToken != "shared" {
			t.Fatalf("a caller got %q; want the shared result", string(res.AccessToken))
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("fn ran %d times for 10 concurrent callers of one key; want 1", n)
	}
}
