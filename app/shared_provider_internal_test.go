package app

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// Clients made and closed concurrently share providers safely and leave none behind;
// a graph that fails to build registers nothing.
func TestSharedProviders_concurrentClientsLeaveNothingBehind(t *testing.T) {
	clock := memory.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) // this test's own key
	cfg := Config{ClientID: "c", Authority: "https://idp.example.com", Clock: clock}
	key, _ := keyOf(cfg)
	ctx := context.Background()
	var wg sync.WaitGroup
	clients := make(chan *PublicClient, 20)
	for range 20 {
		wg.Go(func() {
			pc, err := NewPublicClient(ctx, cfg)
			if err != nil {
				t.Error(err)
				return
			}
			clients <- pc
		})
	}
	wg.Wait()
	close(clients)
	sharedProviders.mu.Lock()
	e := sharedProviders.m[key]
	sharedProviders.mu.Unlock()
	if e == nil || e.refs < 1 {
		t.Fatalf("no provider registered for 20 running clients")
	}
	var all []*PublicClient
	for pc := range clients {
		all = append(all, pc)
	}
	var shared int
	for _, pc := range all {
		if pc.env.deps.IdentityProvider == e.p {
			shared++
		}
	}
	if shared != e.refs {
		t.Errorf("%d clients use the registered provider, which counts %d", shared, e.refs)
	}
	for _, pc := range all {
		wg.Go(func() {
			if err := pc.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sharedProviders.mu.Lock()
	_, left := sharedProviders.m[key]
	sharedProviders.mu.Unlock()
	if left {
		t.Errorf("a provider is still registered after every client closed")
	}

	bad := cfg
	bad.Cache = failingScheme + ":anything" // its opener fails
	if pc, err := NewPublicClient(ctx, bad); err == nil {
		pc.Close()
		t.Fatal("NewPublicClient with a store under a file succeeded; want an error")
	}
	sharedProviders.mu.Lock()
	_, left = sharedProviders.m[key]
	sharedProviders.mu.Unlock()
	if left {
		t.Errorf("a graph that failed to start registered a provider")
	}
}

// A Transport of a type that cannot be a map key gets a provider of its own.
func TestKeyOf_nonComparableTransport(t *testing.T) {
	if _, ok := keyOf(Config{Transport: funcTransport(func(*http.Request) (*http.Response, error) { return nil, nil })}); ok {
		t.Errorf("keyOf(func transport) ok = true; want false")
	}
	if _, ok := keyOf(Config{Transport: http.DefaultTransport}); !ok {
		t.Errorf("keyOf(*http.Transport) ok = false; want true")
	}
	a, _ := keyOf(Config{AllowedHosts: []string{"B.example", "a.example"}})
	b, _ := keyOf(Config{AllowedHosts: []string{"a.example", "b.example"}})
	if a != b {
		t.Errorf("AllowedHosts in another order or case make another key")
	}
}

type funcTransport func(*http.Request) (*http.Response, error)

func (f funcTransport) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// failingScheme names a cache store whose opening always fails, so that a test can
// start a graph that fails after the provider was built.
const failingScheme = "failing-test-store"

func init() { RegisterCacheStore(failingScheme, failingOpener{}) }

type failingOpener struct{}

func (failingOpener) CheckCacheURL(string) error { return nil }

func (failingOpener) OpenCacheStore(context.Context, string, Config) (ports.CacheStore, error) {
	return nil, domain.Errorf(domain.ErrCacheStore, "failing-test-store: cannot open")
}
