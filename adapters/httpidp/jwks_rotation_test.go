package httpidp_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
)

// A regression test of the end-to-end suite's finding: the provider rotated its keys
// seconds after the process first fetched them (node-oidc-provider restarted with new
// keys), and the first ID token under the new kid was refused for a whole
// JWKSRefetchInterval, because the ordinary fetch counted as the rate-limited refetch.
func TestProvider_VerifyIDTokenSignature_rotationRightAfterTheFirstFetch(t *testing.T) {
	keys, f, clock, p, a := newRotationRig(t)
	f.setJWKS(jwksJSON(jwk{kid: "new", pub: &keys.rsa2.PublicKey}))
	clock.Advance(time.Second)
	if err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "new", keys.rsa2, idClaims())); err != nil {
		t.Fatalf("VerifyIDTokenSignature(new) a second after the first fetch = %v; want the unknown kid to refetch the key set", err)
	}
	if n := f.count("jwks"); n != 2 {
		t.Fatalf("got %d JWKS requests; want 2", n)
	}
	// The refetch it made is rate-limited as before: unknown kids fetch nothing more.
	for range 3 {
		err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "bogus", keys.rsa, idClaims()))
		wantClass(t, err, domain.ErrInvalidIDToken)
	}
	if n := f.count("jwks"); n != 2 {
		t.Errorf("got %d JWKS requests after unknown kids within a minute; want 2 (rate-limited)", n)
	}
}

// A key set whose refetch for an unknown kid fails is the provider unavailable, not the
// token bad, also while the cached set is within its time to live: the cached set was
// just found not to hold the token's key, so answering with it calls a token signed with
// a key the provider added (a rotation during the outage) invalid. Review 7: the failure
// memory answered a failed fetch with the cached set whenever it was not past
// ttl+staleIfError, which for a key set (staleIfError 0) is any fresh set.
func TestProvider_VerifyIDTokenSignature_failedRefetchIsUnavailable(t *testing.T) {
	keys, f, clock, p, a := newRotationRig(t)
	refetchDuringAnOutage(t, keys, f, clock, p, a)
	// The cached set still verifies what it holds.
	if err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "old", keys.rsa, idClaims())); err != nil {
		t.Fatalf("VerifyIDTokenSignature(old) during the outage = %v; want the cached set used", err)
	}
}

// newRotationRig returns a fake provider serving one RSA key "old", the adapter's clock,
// an adapter that has verified a token signed with it (its key set fetched once), and
// the authority.
func newRotationRig(t *testing.T) (keyMaterial, *fakeIdP, *fakeClock, *httpidp.Provider, domain.Authority) {
	t.Helper()
	keys := testKeys()
	f := newFakeIdP(t)
	f.setJWKS(jwksJSON(jwk{kid: "old", pub: &keys.rsa.PublicKey}))
	clock := newFakeClock()
	p := newProvider(t, testConfig(clock))
	a := f.authority("", domain.AuthorityOIDC)
	if err := p.VerifyIDTokenSignature(t.Context(), a, signJWT(t, "RS256", "old", keys.rsa, idClaims())); err != nil {
		t.Fatalf("VerifyIDTokenSignature(old) = %v", err)
	}
	return keys, f, clock, p, a
}

// After a refetch for an unknown kid got no answer, the kid stays unknown for want of
// the provider until the next refetch may be sent: ErrUnavailable (retryable), not
// ErrInvalidIDToken, also once the failure itself is no longer remembered (10 s). When
// the interval is over and the provider answers, the token verifies.
func TestProvider_VerifyIDTokenSignature_unknownKidAfterAFailedRefetchIsUnavailable(t *testing.T) {
	keys, f, clock, p, a := newRotationRig(t)
	newToken := refetchDuringAnOutage(t, keys, f, clock, p, a)
	for _, after := range []time.Duration{time.Second, 15 * time.Second} {
		clock.Advance(after)
		wantOnly(t, p.VerifyIDTokenSignature(t.Context(), a, newToken), domain.ErrUnavailable)
	}
	f.mu.Lock()
	f.paths = nil
	f.mu.Unlock()
	f.setJWKS(jwksJSON(jwk{kid: "old", pub: &keys.rsa.PublicKey}, jwk{kid: "new", pub: &keys.rsa2.PublicKey}))
	clock.Advance(httpidp.DefaultJWKSRefetchInterval)
	if err := p.VerifyIDTokenSignature(t.Context(), a, newToken); err != nil {
		t.Fatalf("VerifyIDTokenSignature(new) once the provider is back = %v; want it verified", err)
	}
}

// refetchDuringAnOutage makes the rig's key set answer 503 and, a second later, verifies
// a token signed with a key "new" that the cached set lacks: ErrUnavailable. It returns
// that token.
func refetchDuringAnOutage(t *testing.T, keys keyMaterial, f *fakeIdP, clock *fakeClock, p *httpidp.Provider, a domain.Authority) string {
	t.Helper()
	f.mu.Lock()
	f.paths = map[string]http.HandlerFunc{"/jwks": func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}}
	f.mu.Unlock()
	clock.Advance(time.Second)
	newToken := signJWT(t, "RS256", "new", keys.rsa2, idClaims())
	wantOnly(t, p.VerifyIDTokenSignature(t.Context(), a, newToken), domain.ErrUnavailable)
	return newToken
}
