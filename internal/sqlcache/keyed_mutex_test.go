package sqlcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// size returns the number of names with a holder or a waiter.
func (k *keyedMutex) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.locks)
}

func TestKeyedMutex_lock_excludesPerName(t *testing.T) {
	var k keyedMutex
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			unlock, err := k.lock(context.Background(), nil, "a")
			if err != nil {
				t.Errorf("lock = %v; want nil", err)
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("holders of one name at once = %d; want 1", most.Load())
	}
	if n := k.size(); n != 0 {
		t.Errorf("names kept after every unlock = %d; want 0", n)
	}
}

func TestKeyedMutex_lock_otherNamesDoNotWait(t *testing.T) {
	var k keyedMutex
	unlockA, err := k.lock(context.Background(), nil, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockA()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unlockB, err := k.lock(ctx, nil, "b")
	if err != nil {
		t.Fatalf("lock(b) while a is held = %v; want nil", err)
	}
	unlockB()
}

func TestKeyedMutex_lock_waitEnds(t *testing.T) {
	tests := []struct {
		name string
		end  func(cancel context.CancelFunc, done chan struct{})
		want error
	}{
		{"context cancelled", func(cancel context.CancelFunc, _ chan struct{}) { cancel() }, context.Canceled},
		{"store closed", func(_ context.CancelFunc, done chan struct{}) { close(done) }, ErrLockClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k keyedMutex
			unlock, err := k.lock(context.Background(), nil, "a")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			got := make(chan error, 1)
			go func() {
				_, err := k.lock(ctx, done, "a")
				got <- err
			}()
			tt.end(cancel, done)
			if err := <-got; !errors.Is(err, tt.want) {
				t.Errorf("waiting lock = %v; want %v", err, tt.want)
			}
			unlock()
			if n := k.size(); n != 0 {
				t.Errorf("names kept after the waiter left and the holder unlocked = %d; want 0", n)
			}
		})
	}
}
