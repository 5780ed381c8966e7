package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/bearer"
	"github.com/hexauth/hexauth/domain"
)

// caeAPI is an API that revokes the first token it sees (as Entra's continuous access
// evaluation does after a password change) and accepts any other.
func caeAPI() (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Get("Authorization"))
		if seen[len(seen)-1] == seen[0] {
			w.Header().Set("WWW-Authenticate", `Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "orders")
	}))
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func TestSilentBearer_answersCAEWithAForcedRefresh(t *testing.T) {
	pc, idp, _, res := aliceSignedIn(t, memory.ProviderConfig{})
	srv, seen := caeAPI()
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	httpClient, err := bearer.NewClient(bearer.Config{Acquire: app.SilentBearer(pc, readOrders, res.Account), AllowedHosts: []string{u.Host}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := seen()
	if resp.StatusCode != http.StatusOK || len(got) != 2 || got[0] != "Bearer "+string(res.AccessToken) || got[1] == got[0] {
		t.Fatalf("status %d, API saw %d requests; want 200 after one retry with a new token", resp.StatusCode, len(got))
	}
	if n := idp.Calls(domain.GrantRefreshToken); n != 1 {
		t.Errorf("refresh grants = %d; want 1 (the claims challenge bypasses the cache)", n)
	}
}

// An API behind continuous access evaluation, called through bearer.NewClient: the
// revoked token earns a claims challenge, answered by one refresh and one retry.
func ExampleSilentBearer() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		panic(err)
	}
	api, _ := caeAPI()
	defer api.Close()
	u, _ := url.Parse(api.URL)

	httpClient, err := bearer.NewClient(bearer.Config{
		Acquire:      app.SilentBearer(pc, readOrders, res.Account),
		AllowedHosts: []string{u.Host}, // only this API ever sees the token
	})
	if err != nil {
		panic(err)
	}
	resp, err := httpClient.Get(api.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println("refresh grants:", idp.Calls(domain.GrantRefreshToken))
	// Output:
	// 200 OK
	// refresh grants: 1
}

func TestClientCredentialsBearer_answersCAEWithANewAppToken(t *testing.T) {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: idp, Clock: clock},
		app.ClientSecret("web-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	srv, seen := caeAPI()
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	httpClient, err := bearer.NewClient(bearer.Config{Acquire: app.ClientCredentialsBearer(cc, []string{"api://orders/.default"}), AllowedHosts: []string{u.Host}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := seen(); resp.StatusCode != http.StatusOK || len(got) != 2 || got[1] == got[0] {
		t.Fatalf("status %d after %d requests; want 200 after one retry with a new token", resp.StatusCode, len(got))
	}
	if n := idp.Calls(domain.GrantClientCredentials); n != 2 {
		t.Errorf("client credential grants = %d; want 2 (the challenge bypasses the cache)", n)
	}
}
