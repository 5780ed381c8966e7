//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// TestIDToken_everySigningAlgorithm: one client per id_token_signed_response_alg; each
// sign-in's ID token is verified against the provider's key set, and so is the one the
// refresh returns.
func TestIDToken_everySigningAlgorithm(t *testing.T) {
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA", "Ed25519"} {
		t.Run(alg, func(t *testing.T) {
			cache := sqliteCache(t)
			pc := newPublic(t, "a", "alg-"+strings.ToLower(alg), cache, 0)
			res := signIn(t, pc, "a", alice, apiRead)
			if got := headerAlg(t, string(res.IDToken)); got != alg {
				t.Fatalf("ID token alg = %s; want %s (the client's registration)", got, alg)
			}
			refreshed, err := newPublic(t, "a", "alg-"+strings.ToLower(alg), cache, 2*time.Hour).
				AcquireTokenSilent(ctxOf(t), []string{apiRead}, res.Account)
			if err != nil || refreshed.TokenSource != domain.SourceIdentityProvider {
				t.Fatalf("refresh = %v, %v; want a refresh whose %s ID token is accepted", refreshed.TokenSource, err, alg)
			}
			if refreshed.IDToken == "" || headerAlg(t, string(refreshed.IDToken)) != alg {
				t.Errorf("the refreshed result's ID token is not an %s one", alg)
			}
		})
	}
}

func headerAlg(t *testing.T, jws string) string { return header(t, jws).Alg }

func headerKid(t *testing.T, jws string) string { return header(t, jws).Kid }

func header(t *testing.T, jws string) struct{ Alg, Kid string } {
	t.Helper()
	h, _, _ := strings.Cut(jws, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("ID token header: %v", err)
	}
	var v struct{ Alg, Kid string }
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
