package sqlcache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// recordingTake is a Take that records its calls and releases.
type recordingTake struct {
	err      error
	names    []string
	released int
}

func (r *recordingTake) take(_ context.Context, _ domain.RefreshLockKey, name string) (func(), error) {
	r.names = append(r.names, name)
	if r.err != nil {
		return nil, r.err
	}
	return func() { r.released++ }, nil
}

func TestRefreshLocker_WithRefreshLock(t *testing.T) {
	key := domain.RefreshLockKey{Partition: "p", HomeAccountID: "Uid.Utid", ClientID: "Client", Environment: "login.example.com", Realm: "t"}
	takeErr, fnErr := errors.New("lock pool exhausted"), errors.New("refresh refused")
	tests := []struct {
		name         string
		closed       bool
		takeErr      error
		fnErr        error
		wantErr      []error
		wantRan      bool
		wantTakes    int
		wantReleased int
	}{
		{"runs fn holding both locks", false, nil, nil, nil, true, 1, 1},
		{"fn's error as it is", false, nil, fnErr, []error{fnErr}, true, 1, 1},
		{"take fails", false, takeErr, nil, []error{domain.ErrCacheStore, takeErr}, false, 1, 0},
		{"closed store", true, nil, nil, []error{domain.ErrCacheStore, ErrClosed}, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			life := NewLifecycle()
			if tt.closed {
				_ = life.Close(func() error { return nil })
			}
			rec := &recordingTake{err: tt.takeErr}
			l := &RefreshLocker{Errors: Errors{Prefix: "test"}, Life: life, Take: rec.take}
			ran := false
			err := l.WithRefreshLock(t.Context(), key, func(context.Context) error {
				ran = true
				if n := l.local.size(); n != 1 {
					t.Errorf("in-process locks held while fn runs = %d; want 1", n)
				}
				if rec.released != 0 {
					t.Error("the cross-process lock was released before fn returned")
				}
				return tt.fnErr
			})
			if tt.wantErr == nil && err != nil {
				t.Errorf("WithRefreshLock = %v; want nil", err)
			}
			for _, target := range tt.wantErr {
				if !errors.Is(err, target) {
					t.Errorf("WithRefreshLock = %v; want it to wrap %v", err, target)
				}
			}
			if tt.fnErr != nil && err != tt.fnErr {
				t.Errorf("WithRefreshLock = %#v; want fn's error itself", err)
			}
			if ran != tt.wantRan || len(rec.names) != tt.wantTakes || rec.released != tt.wantReleased {
				t.Errorf("fn ran %v, Take called %d times, released %d; want %v, %d, %d",
					ran, len(rec.names), rec.released, tt.wantRan, tt.wantTakes, tt.wantReleased)
			}
			for _, n := range rec.names {
				if n != key.String() {
					t.Errorf("Take got name %q; want key.String() %q", n, key.String())
				}
			}
			if n := l.local.size(); n != 0 {
				t.Errorf("in-process locks left held = %d; want 0", n)
			}
		})
	}
}

func TestRefreshLocker_WithRefreshLock_releasesOnPanic(t *testing.T) {
	rec := &recordingTake{}
	l := &RefreshLocker{Errors: Errors{Prefix: "test"}, Life: NewLifecycle(), Take: rec.take}
	func() {
		defer func() { _ = recover() }()
		_ = l.WithRefreshLock(t.Context(), domain.RefreshLockKey{Partition: "p"}, func(context.Context) error { panic("boom") })
	}()
	if rec.released != 1 || l.local.size() != 0 {
		t.Errorf("after a panic in fn: released %d, in-process locks %d; want 1, 0", rec.released, l.local.size())
	}
}

func TestRefreshLocker_WithRefreshLock_waiterWokenByClose(t *testing.T) {
	life := NewLifecycle()
	rec := &recordingTake{}
	l := &RefreshLocker{Errors: Errors{Prefix: "test"}, Life: life, Take: rec.take}
	key := domain.RefreshLockKey{Partition: "p", HomeAccountID: "h"}
	holding, done := make(chan struct{}), make(chan error)
	go func() {
		done <- l.WithRefreshLock(context.Background(), key, func(context.Context) error {
			close(holding)
			<-life.Done()
			return nil
		})
	}()
	<-holding
	waiter := make(chan error, 1)
	go func() {
		waiter <- l.WithRefreshLock(context.Background(), key, func(context.Context) error { return nil })
	}()
	for !waitingOn(l, key.String()) {
		time.Sleep(time.Millisecond)
	}
	_ = life.Close(func() error { return nil })
	if err := <-waiter; !errors.Is(err, ErrLockClosed) || !errors.Is(err, domain.ErrCacheStore) {
		t.Errorf("waiter woken by Close = %v; want a store error wrapping ErrLockClosed", err)
	}
	if err := <-done; err != nil {
		t.Errorf("holder = %v; want nil", err)
	}
}

// waitingOn reports whether name has a waiter besides its holder.
func waitingOn(l *RefreshLocker, name string) bool {
	l.local.mu.Lock()
	defer l.local.mu.Unlock()
	kl := l.local.locks[name]
	return kl != nil && kl.refs > 1
}
