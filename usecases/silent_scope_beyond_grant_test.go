package usecases_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// TestSilent_Acquire_scopeBeyondTheGrant_isInteractionRequired is a regression test of
// the end-to-end suite's finding: node-oidc-provider answers a refresh that asks for a
// scope the user never granted with invalid_scope (RFC 6749 §6),
// which silent reported as ErrInvalidScope alone, so an app following the documented
// pattern (sign in on ErrInteractionRequired) never asked the user to consent. The
// refresh token still serves the granted scopes: it is not refused.
func TestSilent_Acquire_scopeBeyondTheGrant_isInteractionRequired(t *testing.T) {
	const secret = "rt-alice-secret"
	sc := newRefusalScene(t, func(sc *refusalScene, _ string) (domain.TokenResponse, error) {
		if slices.Contains(sc.scopes, "write") {
			return domain.ParseTokenResponse(domain.GrantRefreshToken, 400, []byte(`{"error":"invalid_scope","error_description":"refresh token missing requested scope"}`))
		}
		return sc.f.tokenResponse(t, testHome), nil
	})
	sc.setRefreshTokens("", secret)
	s := newSilent(t, sc.f)

	_, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"write"}, Account: sc.f.account()})
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.Is(err, domain.ErrInvalidScope) {
		t.Fatalf("Acquire(write) error = %v; want interaction required that is also invalid_scope", err)
	}
	res, err := s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: sc.f.account()})
	if err != nil || res.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("Acquire(read) after the refusal = %v, %v; want the same refresh token redeemed", res.TokenSource, err)
	}
	if got := sc.sentTokens(); got != secret+","+secret {
		t.Errorf("refresh tokens sent: %q; want the token presented for both requests (not remembered as refused)", got)
	}
}
