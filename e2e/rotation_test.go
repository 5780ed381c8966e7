//go:build e2e

package e2e

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// TestProviderRestart_keysRotatedStateLost runs a provider of its own and restarts it on
// the same port: new signing keys under new key ids, and (an in-memory store) every grant
// forgotten, as after a key rotation and a database reset. The cached refresh token is
// then refused as interaction required; signing in again works with the same client,
// whose cached key set lacks the new kid and is fetched again.
func TestProviderRestart_keysRotatedStateLost(t *testing.T) {
	ctx := ctxOf(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p, err := startProvider(clientJWKS, port)
	if err != nil {
		t.Fatal(err)
	}
	stop := p.stop
	defer func() { stop() }()

	cache := sqliteCache(t)
	pc := newPublicAt(t, p.issuers["a"], "public-pkce", cache, 0)
	first := signIn(t, pc, "a", alice, apiRead)

	p.stop()
	stop = func() {}
	if p, err = startProvider(clientJWKS, port); err != nil {
		t.Fatalf("restart on port %d: %v", port, err)
	}
	stop = p.stop

	x := newPublicAt(t, p.issuers["a"], "public-pkce", cache, 2*time.Hour)
	if _, err := x.AcquireTokenSilent(ctx, []string{apiRead}, first.Account); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("silent after the provider forgot the grant = %v; want interaction required", err)
	}
	again := signIn(t, pc, "a", alice, apiRead)
	if headerKid(t, string(again.IDToken)) == headerKid(t, string(first.IDToken)) {
		t.Fatalf("the restarted provider signs with the old kid; the test proves nothing")
	}
	if hit, err := pc.AcquireTokenSilent(ctx, []string{apiRead}, again.Account); err != nil || hit.TokenSource != domain.SourceCache {
		t.Errorf("silent after signing in again = %v; want a cache hit", err)
	}
}
