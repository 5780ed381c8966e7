package nearcache

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// Backoff between listening sessions: doubled after each session that failed quickly,
// with jitter, reset after one that lasted.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// listen keeps a ChangeListener session open until ctx ends (Close), reconnecting with
// backoff. While none listens, the entries fall back to FallbackTTL.
func (s *Store) listen(ctx context.Context) {
	defer close(s.done)
	backoff := minBackoff
	for {
		began := s.cfg.Clock.Now()
		err := s.lis.ListenChanges(ctx, s.cfg.PingInterval, s.event)
		s.mu.Lock()
		// Notifications may have been lost since the last sign of life: drop
		// everything, and trust nothing until a session listens again.
		s.trusted = false
		s.dropAllLocked()
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		s.cfg.Logger.Warn("nearcache: the change session ended; near entries live FallbackTTL until it is back",
			domain.ErrorAttr(err), "retry_in", backoff.String())
		if s.cfg.Clock.Now().Sub(began) > maxBackoff {
			backoff = minBackoff
		}
		t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// event applies one event of the session.
func (s *Store) event(ev domain.ChangeEvent) {
	now := s.cfg.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev.Kind {
	case domain.ChangeListening:
		// What changed before the session listened is unknown.
		s.dropAllLocked()
		s.trusted, s.lastAlive = true, now
	case domain.ChangeAlive:
		s.lastAlive = now
	case domain.ChangeCommitted:
		s.lastAlive = now
		s.epoch++
		if ev.Key == "" {
			s.lru.clear()
		} else {
			s.lru.dropChange(ev.Key)
		}
	}
}
