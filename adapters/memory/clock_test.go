package memory_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
)

func TestClock_Now_readsTheSetTime(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := memory.NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now: got %v; want %v", got, start)
	}
	if got := c.Now(); !got.Equal(start) {
		t.Errorf("Now again: got %v; want %v (the clock moves only when told to)", got, start)
	}
}

func TestClock_Advance_movesForwardAndBack(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := memory.NewClock(start)
	if got, want := c.Advance(90*time.Minute), start.Add(90*time.Minute); !got.Equal(want) || !c.Now().Equal(want) {
		t.Errorf("Advance(90m): got %v, Now %v; want %v", got, c.Now(), want)
	}
	if got, want := c.Advance(-time.Hour), start.Add(30*time.Minute); !got.Equal(want) {
		t.Errorf("Advance(-1h): got %v; want %v", got, want)
	}
}

func TestClock_Set_jumps(t *testing.T) {
	c := memory.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	later := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
	c.Set(later)
	if got := c.Now(); !got.Equal(later) {
		t.Errorf("Now after Set: got %v; want %v", got, later)
	}
}

func TestClock_Advance_concurrent(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := memory.NewClock(start)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Advance(time.Second)
			_ = c.Now()
		}()
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(100*time.Second); !got.Equal(want) {
		t.Errorf("Now after 100 concurrent Advance(1s): got %v; want %v", got, want)
	}
}

func ExampleClock() {
	clock := memory.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	clock.Advance(55 * time.Minute) // an access token of one hour is now within its 5-minute buffer
	fmt.Println(clock.Now().Format(time.Kitchen))
	// Output: 12:55PM
}
