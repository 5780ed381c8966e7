package usecases

// In-memory state the flows keep (the replay guard, learned tenant ids, refused refresh
// tokens) stays bounded.

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

func TestRefusals_boundedDropsExpiredThenStartsOver(t *testing.T) {
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	refused := &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant", HTTPStatus: 400}
	key := func(i int) [32]byte { return refusalKey("p", domain.Secret("rt-"+strconv.Itoa(i)), "") }
	var r refusals
	for i := range maxTimedEntries - 1 {
		r.remember(key(i), start, refused)
	}
	later := start.Add(time.Minute)
	r.remember(key(-1), later, refused) // the bound is reached
	afterWindow := start.Add(refusalWindow)
	r.remember(key(-2), afterWindow, refused)
	if n := len(r.entries); n != 2 {
		t.Fatalf("%d entries after one past the bound with all but one expired; want the expired dropped, 2 left", n)
	}
	if _, ok := r.refused(key(-1), afterWindow); !ok {
		t.Fatal("an unexpired refusal was dropped with the expired ones")
	}
	for i := range maxTimedEntries - 1 { // 2 + maxTimedEntries-2 fill it; the last is one past
		r.remember(key(i), afterWindow, refused)
	}
	if n := len(r.entries); n != 1 {
		t.Fatalf("%d entries after one past the bound with none expired; want the memory started over with 1", n)
	}
}

func TestRefusalKey_namesPartitionAndSecretWithoutKeepingThem(t *testing.T) {
	tests := []struct {
		name           string
		p1, s1, p2, s2 string
	}{
		{"other partition", "p1", "rt", "p2", "rt"},
		{"other secret", "p", "rt-1", "p", "rt-2"},
		{"boundary moved", "a", "bc", "ab", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if refusalKey(tt.p1, domain.Secret(tt.s1), "") == refusalKey(tt.p2, domain.Secret(tt.s2), "") {
				t.Errorf("refusalKey(%q, %q) = refusalKey(%q, %q); want distinct keys", tt.p1, tt.s1, tt.p2, tt.s2)
			}
		})
	}
	if refusalKey("p", "rt", "r") != refusalKey("p", "rt", "r") || refusalKey("p", "rt", "r") == refusalKey("p", "rt", "s") {
		t.Error("refusalKey is not stable")
	}
}
