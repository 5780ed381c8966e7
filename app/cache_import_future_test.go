package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
)

// An imported refresh token dated in the future (a document exported on a machine whose
// clock ran ahead, or crafted) is dated at the import: it used to outrank every refresh
// token a flow stored later, so the rotated token of the next refresh was dropped and the
// spent one sent again (from the final review).
func TestPublicClient_ImportCache_futureDatedRefreshTokenDoesNotOutrankRotation(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	first, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]map[string]map[string]any
	if err := json.Unmarshal([]byte(exportString(t, pc)), &m); err != nil {
		t.Fatal(err)
	}
	for _, e := range m["RefreshToken"] {
		e["cached_at"] = "4102444800" // 2100-01-01, the same secret
	}
	doc, _ := json.Marshal(m)
	if _, err := pc.ImportCache(ctx, strings.NewReader(string(doc))); err != nil {
		t.Fatalf("ImportCache: %v", err)
	}
	clock.Advance(time.Minute)
	if _, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account, app.WithForceRefresh()); err != nil {
		t.Fatalf("first refresh after the import: %v", err)
	}
	clock.Advance(time.Minute)
	if _, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account, app.WithForceRefresh()); err != nil {
		t.Fatalf("second refresh after the import: %v (the rotated refresh token of the first was not kept)", err)
	}
}
