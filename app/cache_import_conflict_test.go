package app_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/msalcache"
)

// rotateLikeMSALGo rewrites doc, a hexauth export, as MSAL Go writes it back after
// rotating the refresh token: the one refresh token gets secret rt and loses cached_at
// (MSAL Go's refresh tokens have no timestamp).
func rotateLikeMSALGo(t *testing.T, doc, rt string) string {
	t.Helper()
	var m map[string]map[string]map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	if len(m["RefreshToken"]) != 1 {
		t.Fatalf("export holds %d refresh tokens; want 1", len(m["RefreshToken"]))
	}
	for _, e := range m["RefreshToken"] {
		if _, ok := e["cached_at"]; !ok {
			t.Fatal("hexauth's export has no cached_at on its refresh token; the test would prove nothing")
		}
		e["secret"] = rt
		delete(e, "cached_at")
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hexauth → MSAL Go (which rotates the refresh token, revoking the old one) → import:
// the imported, undated token must replace the stored one, and the report must say so.
func TestPublicClient_ImportCache_undatedRotatedRefreshTokenWins(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	first, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		t.Fatal(err)
	}
	exported := exportString(t, pc)

	// "MSAL Go" redeems the exported token an hour later: the provider rotates it.
	clock.Advance(time.Hour)
	msalGo := newPublicClient(ctx, idp, clock)
	defer msalGo.Close()
	rotated, err := msalGo.AcquireTokenByRefreshToken(ctx, string(first.RefreshToken), readOrders)
	if err != nil || rotated.RefreshToken == "" || rotated.RefreshToken == first.RefreshToken {
		t.Fatalf("rotation = %v (rotated %t); want a new refresh token", err, rotated.RefreshToken != first.RefreshToken)
	}
	doc := rotateLikeMSALGo(t, exported, string(rotated.RefreshToken))

	clock.Advance(time.Minute)
	report, err := pc.ImportCache(ctx, strings.NewReader(doc))
	if err != nil {
		t.Fatalf("ImportCache: %v", err)
	}
	if len(report.Conflicts) != 1 || report.Conflicts[0].Resolution != msalcache.ResolutionReplaced ||
		report.Conflicts[0].Section != msalcache.SectionRefreshToken {
		t.Fatalf("report.Conflicts = %v; want one refresh token %q", report.Conflicts, msalcache.ResolutionReplaced)
	}
	if len(report.Notices) != 1 || report.Notices[0].Field != "cached_at" {
		t.Errorf("report.Notices = %v; want the undated refresh token's stamp", report.Notices)
	}
	if s := report.Conflicts[0].String() + report.Notices[0].String(); strings.Contains(s, string(rotated.RefreshToken)) {
		t.Errorf("the report quotes a secret: %s", s)
	}

	// The stored token before the import is revoked: only the imported one refreshes.
	if _, err := pc.AcquireTokenSilent(ctx, readOrders, first.Account, app.WithForceRefresh()); err != nil {
		t.Fatalf("refresh after the import = %v; want the imported (rotated) token to work", err)
	}
}

// A dated document token older than the stored one loses, as the store contract says,
// and the report says the stored one was kept.
func TestPublicClient_ImportCache_olderDatedRefreshTokenIsReportedKept(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders); err != nil {
		t.Fatal(err)
	}
	old := exportString(t, pc)
	clock.Advance(time.Hour)
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders); err != nil {
		t.Fatal(err)
	}
	newer := exportString(t, pc)
	if old == newer {
		t.Fatal("the second sign-in stored nothing new")
	}
	report, err := pc.ImportCache(ctx, strings.NewReader(old))
	if err != nil {
		t.Fatalf("ImportCache: %v", err)
	}
	if len(report.Conflicts) != 1 || report.Conflicts[0].Resolution != msalcache.ResolutionKeptStored {
		t.Fatalf("report.Conflicts = %v; want one %q", report.Conflicts, msalcache.ResolutionKeptStored)
	}
	if got := exportString(t, pc); !bytes.Contains([]byte(got), []byte(refreshSecret(t, newer))) {
		t.Error("the stored newer refresh token was replaced")
	}
	// The same document again, now equal to what is stored: no conflict.
	report, err = pc.ImportCache(ctx, strings.NewReader(exportString(t, pc)))
	if err != nil || len(report.Conflicts) != 0 {
		t.Fatalf("re-importing the export = %v, conflicts %v; want none", err, report.Conflicts)
	}
}

// refreshSecret returns the secret of the one refresh token of an export.
func refreshSecret(t *testing.T, doc string) string {
	t.Helper()
	s, err := msalcache.Decode([]byte(doc))
	if err != nil || len(s.RefreshTokens) != 1 {
		t.Fatalf("Decode = %v with %d refresh tokens; want 1", err, len(s.RefreshTokens))
	}
	return string(s.RefreshTokens[0].Secret)
}

// Regression (imported document): an MSAL cache document that files dave's
// (genuine, unexpired) ID token under alice's home account id imports without a
// complaint, and a silent sign-in for alice then serves dave's ID token — a web app
// that reads IDTokenClaims.Subject signs the caller in as dave. Neither the import nor
// the ID-token-only hit ties an ID token's sub to the account it is filed under.
func TestImport_ImportedIDTokenOfAnotherSubjectServedBySilentSignIn(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp, err := memory.NewIdentityProvider(memory.ProviderConfig{
		Clock:   clock,
		Users:   []memory.User{{Username: "alice@example.com", Password: "pw-a"}, {Username: "dave@example.com", Password: "pw-d"}},
		Clients: []memory.Client{{ID: clientID}},
		Scopes:  []string{"api://orders/read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := newPublicClient(ctx, idp, clock)
	defer src.Close()
	alice, err := src.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "pw-a", nil)
	if err != nil {
		t.Fatal(err)
	}
	dave, err := src.AcquireTokenByUsernamePassword(ctx, "dave@example.com", "pw-d", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := src.ExportCache(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	swapped := false
	for _, e := range doc["IdToken"] {
		if strings.EqualFold(e["home_account_id"].(string), alice.Account.HomeAccountID) {
			e["secret"], swapped = string(dave.IDToken), true
		}
	}
	if !swapped {
		t.Fatalf("alice's ID token not found in the export: %s", buf.String())
	}
	forged, _ := json.Marshal(doc)

	dst := newPublicClient(ctx, idp, clock)
	defer dst.Close()
	rep, err := dst.ImportCache(ctx, bytes.NewReader(forged))
	if err != nil {
		t.Fatalf("ImportCache = %v; want the document imported without the swapped ID token", err)
	}
	skipped := false
	for _, s := range rep.Skipped {
		skipped = skipped || s.Section == msalcache.SectionIDToken && s.Reason == msalcache.ReasonIDTokenOfAnotherAccount
	}
	if !skipped {
		t.Errorf("import report skipped %v; want dave's ID token filed under alice skipped as another account's", rep.Skipped)
	}
	res, err := dst.AcquireTokenSilent(ctx, nil, alice.Account)
	if err == nil && res.IDToken == dave.IDToken {
		t.Errorf("silent sign-in for alice (sub %s) served dave's ID token (sub %s) from an imported document",
			alice.IDTokenClaims.Subject, res.IDTokenClaims.Subject)
	}
}
