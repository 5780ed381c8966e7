package bearer_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/bearer"
)

// TestReview4_TokenFollowsTheHostHeaderNotOnlyTheURL: the token is meant for the allowed
// hosts, but the check read only req.URL.Host while the request names its host to the
// server in the Host header (req.Host), which the caller or, more often, the client of a
// proxy chooses: httputil.NewSingleHostReverseProxy keeps the incoming request's Host
// header on the outgoing request (its documented behaviour), so a gateway that uses the
// transport to add its token to upstream calls sent it with whatever Host its own
// client named. An upstream reached through a shared front (a CDN, an ingress, a PaaS
// load balancer that routes by Host) then delivers the token to the virtual host the
// attacker named. Here the allowed upstream is the shared front; the attacker's
// request names "attacker.example" in its Host header.
func TestReview4_TokenFollowsTheHostHeaderNotOnlyTheURL(t *testing.T) {
	type seen struct{ host, auth string }
	var mu sync.Mutex
	var got []seen
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.Host, r.Header.Get("Authorization")})
		mu.Unlock()
	}))
	t.Cleanup(front.Close)
	upstream, err := url.Parse(front.URL)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := bearer.NewTransport(bearer.Config{Acquire: (&acquirer{}).acquire, AllowedHosts: []string{upstream.Host}})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.Transport = tr
	gateway := httptest.NewServer(proxy)
	t.Cleanup(gateway.Close)

	for _, host := range []string{"", "attacker.example"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, gateway.URL+"/orders", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host // "": the gateway's own name, as a browser would send it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	first := append([]seen(nil), got...)
	mu.Unlock()
	if len(first) != 2 {
		t.Fatalf("the upstream saw %d requests; want 2", len(first))
	}
	if first[1].host != "attacker.example" {
		t.Fatalf("fixture: the upstream saw Host %q; want the client's attacker.example", first[1].host)
	}
	if first[1].auth != "" {
		t.Errorf("a request whose Host header named attacker.example (not allowed) carried %q to it", first[1].auth)
	}
	// The gateway's own name is not allowed either: only the upstream's is. A caller
	// that keeps the Host of the URL it sends to gets the token as before.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, front.URL+"/orders", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if last := got[len(got)-1]; last.auth == "" {
		t.Errorf("a request to the allowed host with its own Host header carried no token")
	}
}
