package usecases

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxTimedEntries bounds a timedMemory: past it the expired entries go, and if that
// frees no room it starts over, which costs each forgotten entry what remembering it
// saved (one more request).
const maxTimedEntries = 10_000

// timedMemory remembers a value per key until a time, in process. Keys are SHA-256
// digests, so what is remembered never holds a secret or a name. The zero value is ready
// to use; it is safe for concurrent use.
type timedMemory[V any] struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]timed[V]
}

type timed[V any] struct {
	until time.Time
	v     V
}

// remember records v under key until until; now is the time of the call.
func (m *timedMemory[V]) remember(key [sha256.Size]byte, now, until time.Time, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[[sha256.Size]byte]timed[V]{}
	}
	if _, ok := m.entries[key]; !ok && len(m.entries) >= maxTimedEntries {
		for k, e := range m.entries {
			if !now.Before(e.until) {
				delete(m.entries, k)
			}
		}
		if len(m.entries) >= maxTimedEntries {
			clear(m.entries)
		}
	}
	m.entries[key] = timed[V]{until: until, v: v}
}

// recall returns the value of key while now is before its time.
func (m *timedMemory[V]) recall(key [sha256.Size]byte, now time.Time) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	if !now.Before(e.until) {
		delete(m.entries, key)
		var zero V
		return zero, false
	}
	return e.v, true
}
