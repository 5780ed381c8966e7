//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// TestIssuers_keptApart: alice signs in at /realms/a and at /realms/b of one host with
// the same client id; both issuers give her sub user-1. One cache holds both.
// No account, token, refresh or removal crosses from one issuer to the other.
//
// It runs on SQLite, and on Postgres when HEXAUTH_TEST_POSTGRES_DSN is set (as .ci/run
// sets it), in a schema of its own.
func TestIssuers_keptApart(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testIssuersKeptApart(t, sqliteCache(t)) })
	t.Run("postgres", func(t *testing.T) {
		pg := postgresCache(t)
		if pg == "" {
			t.Skip("HEXAUTH_TEST_POSTGRES_DSN is not set: no Postgres to run on")
		}
		testIssuersKeptApart(t, pg)
	})
}

func testIssuersKeptApart(t *testing.T, cache string) {
	ctx := ctxOf(t)
	pa := newPublic(t, "a", "public-pkce", cache, 0)
	pb := newPublic(t, "b", "public-pkce", cache, 0)
	ra := signIn(t, pa, "a", alice, apiRead)
	rb := signIn(t, pb, "b", alice, apiRead)
	if ra.Account.HomeAccountID != aliceSub || rb.Account.HomeAccountID != aliceSub {
		t.Fatalf("home account ids %q, %q; want both %q (the set-up gives one sub)", ra.Account.HomeAccountID, rb.Account.HomeAccountID, aliceSub)
	}
	if ra.Account.Realm == rb.Account.Realm {
		t.Fatalf("both accounts have realm %q; want realms/a and realms/b", ra.Account.Realm)
	}

	// Accounts: each issuer lists its own.
	la, err := pa.Accounts(ctx)
	if err != nil || len(la) != 1 || la[0].Realm != "realms/a" {
		t.Errorf("accounts at a = %+v, %v; want alice of realms/a only", la, err)
	}
	lb, err := pb.Accounts(ctx)
	if err != nil || len(lb) != 1 || lb[0].Realm != "realms/b" {
		t.Errorf("accounts at b = %+v, %v; want alice of realms/b only", lb, err)
	}

	// Tokens: each issuer serves its own (the access token's iss says whose).
	ha, err := pa.AcquireTokenSilent(ctx, []string{apiRead}, ra.Account)
	if err != nil || ha.AccessToken != ra.AccessToken || jwtIssuer(t, string(ha.AccessToken)) != issuers["a"] {
		t.Errorf("silent at a = %v; want a's cached token", err)
	}
	hb, err := pb.AcquireTokenSilent(ctx, []string{apiRead}, rb.Account)
	if err != nil || hb.AccessToken != rb.AccessToken || jwtIssuer(t, string(hb.AccessToken)) != issuers["b"] {
		t.Errorf("silent at b = %v; want b's cached token", err)
	}
	// b's account presented to a's client finds nothing of b.
	if x, err := pa.AcquireTokenSilent(ctx, []string{apiRead}, rb.Account); err == nil && x.AccessToken == rb.AccessToken {
		t.Errorf("a's client served b's access token for b's account")
	}

	// Refresh: each issuer's refresh token goes to its own token endpoint.
	resetCounts(t)
	xa := newPublic(t, "a", "public-pkce", cache, 2*time.Hour)
	if _, err := xa.AcquireTokenSilent(ctx, []string{apiRead}, ra.Account); err != nil {
		t.Fatalf("refresh at a = %v", err)
	}
	if c := counts(t); c.ok("a", "refresh_token") != 1 || c.ok("b", "refresh_token")+c.error("b", "refresh_token") != 0 {
		t.Errorf("refresh grants a=%d b=%d; want 1 and 0", c.ok("a", "refresh_token"), c.ok("b", "refresh_token")+c.error("b", "refresh_token"))
	}
	xb := newPublic(t, "b", "public-pkce", cache, 2*time.Hour)
	r2, err := xb.AcquireTokenSilent(ctx, []string{apiRead}, rb.Account)
	if err != nil || jwtIssuer(t, string(r2.AccessToken)) != issuers["b"] {
		t.Fatalf("refresh at b = %v; want b's token (b's refresh token, not a's rotated one)", err)
	}
	if c := counts(t); c.ok("b", "refresh_token") != 1 || c.error("a", "refresh_token")+c.error("b", "refresh_token") != 0 {
		t.Errorf("after b's refresh: %v; want one good refresh at each issuer, none refused", c)
	}

	// Removal at a leaves b whole.
	if err := pa.RemoveAccount(ctx, ra.Account); err != nil {
		t.Fatal(err)
	}
	if _, err := pa.AcquireTokenSilent(ctx, []string{apiRead}, ra.Account); !errors.Is(err, domain.ErrNoTokens) {
		t.Errorf("silent at a after removal = %v; want no tokens", err)
	}
	if lb, _ := pb.Accounts(ctx); len(lb) != 1 {
		t.Errorf("accounts at b after removal at a = %+v; want alice still there", lb)
	}
	if _, err := pb.AcquireTokenSilent(ctx, []string{apiRead}, rb.Account); err != nil {
		t.Errorf("silent at b after removal at a = %v; want b's token", err)
	}
	if _, err := xb.AcquireTokenSilent(ctx, []string{apiRead}, rb.Account); err != nil {
		t.Errorf("refresh at b after removal at a = %v; want b's refresh token intact", err)
	}
}

// jwtIssuer is the iss of a JWT access token (node-oidc-provider issues JWTs for the
// resource server of the set-up).
func jwtIssuer(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Iss string }
	_ = json.Unmarshal(raw, &v)
	return v.Iss
}
