package usecases

// In-memory state the flows keep (the replay guard, learned tenant ids) stays bounded.

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func TestReplayGuard_refusesReplaysAndForgetsExpiredFlows(t *testing.T) {
	g := &replayGuard{consumed: map[string]time.Time{}}
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	flow := func(i int) domain.AuthCodeFlow {
		return domain.AuthCodeFlow{State: "s" + strconv.Itoa(i), Nonce: "n" + strconv.Itoa(i), CreatedAt: start}
	}
	for i := range 1000 {
		if err := g.consume(flow(i), start, domain.DefaultFlowMaxAge); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.consume(flow(7), start.Add(time.Minute), domain.DefaultFlowMaxAge); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("replay error = %v; want ErrInvalidFlow", err)
	}
	later := start.Add(domain.DefaultFlowMaxAge + 2*time.Minute)
	fresh := domain.AuthCodeFlow{State: "new", Nonce: "new", CreatedAt: later}
	if err := g.consume(fresh, later, domain.DefaultFlowMaxAge); err != nil {
		t.Fatal(err)
	}
	if n := len(g.consumed); n != 1 {
		t.Fatalf("guard holds %d flows after the first 1000 expired; want 1", n)
	}
}

func TestTenantIDs_boundedAndStartsOver(t *testing.T) {
	ids := &tenantIDs{ids: map[string]string{}}
	for i := range maxTenantIDs {
		ids.store("host/t"+strconv.Itoa(i)+".example", "guid")
	}
	ids.store("host/t0.example", "guid-2") // an update of a known key keeps the others
	if got, _ := ids.load("host/t0.example"); got != "guid-2" || len(ids.ids) != maxTenantIDs {
		t.Fatalf("after an update: t0 = %q, %d entries; want guid-2 and %d", got, len(ids.ids), maxTenantIDs)
	}
	ids.store("host/new.example", "guid-3")
	if len(ids.ids) != 1 {
		t.Fatalf("%d entries after one past the bound; want the map started over with 1", len(ids.ids))
	}
	if got, ok := ids.load("host/new.example"); !ok || got != "guid-3" {
		t.Fatalf("new entry = %q, %v; want guid-3", got, ok)
	}
}
