package sqlcache

import (
	"context"
	"errors"
	"testing"
)

func TestLifecycle_Check(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		closed bool
		ctx    context.Context
		want   error
	}{
		{"open", false, context.Background(), nil},
		{"open, context done", false, cancelled, context.Canceled},
		{"closed", true, context.Background(), ErrClosed},
		{"closed, context done", true, cancelled, ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLifecycle()
			if tt.closed {
				_ = l.Close(func() error { return nil })
			}
			if got := l.Check(tt.ctx); !errors.Is(got, tt.want) || (tt.want == nil && got != nil) {
				t.Errorf("Check = %v; want %v", got, tt.want)
			}
			if l.Closed() != tt.closed {
				t.Errorf("Closed() = %v; want %v", l.Closed(), tt.closed)
			}
		})
	}
}

func TestLifecycle_Close_once(t *testing.T) {
	l := NewLifecycle()
	select {
	case <-l.Done():
		t.Fatal("Done() is closed before Close; want it open")
	default:
	}
	releaseErr := errors.New("release failed")
	runs := 0
	release := func() error {
		runs++
		if !l.Closed() {
			t.Error("release ran before the store was marked closed")
		}
		select {
		case <-l.Done():
		default:
			t.Error("release ran before Done() was closed")
		}
		return releaseErr
	}
	for i := range 3 {
		if err := l.Close(release); !errors.Is(err, releaseErr) {
			t.Errorf("Close call %d = %v; want the first call's %v", i+1, err, releaseErr)
		}
	}
	if runs != 1 {
		t.Errorf("release ran %d times; want 1", runs)
	}
}
