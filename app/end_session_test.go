package app_test

import (
	"errors"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// EndSessionEndpoint is the discovery document's end_session_endpoint, "" when the
// provider announces none; a partition reads the same one. ClientID is the configured
// client id.
func TestClient_EndSessionEndpointAndClientID(t *testing.T) {
	ctx := testContext(t)
	for _, announce := range []bool{false, true} {
		srv := idptest.NewTestServer(t, idptest.Config{EndSession: announce, Provider: idptest.ProviderConfig{
			Clients: []idptest.Client{{ID: "web", Secret: "s"}},
		}})
		cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "web", Authority: srv.Issuer()}, app.ClientSecret("s"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cc.Close() })
		want := ""
		if announce {
			want = srv.URL() + "/logout"
		}
		for _, c := range []*app.ConfidentialClient{cc, cc.Partition("acme")} {
			got, err := c.EndSessionEndpoint(ctx)
			if err != nil || got != want {
				t.Fatalf("announced %t: EndSessionEndpoint = %q, %v; want %q", announce, got, err, want)
			}
			if c.ClientID() != "web" {
				t.Fatalf("ClientID = %q; want web", c.ClientID())
			}
		}
	}
}

// A provider that cannot be reached (nothing cached) is an error of its class, not "".
func TestClient_EndSessionEndpoint_unreachableProvider(t *testing.T) {
	ctx := testContext(t)
	srv := idptest.NewTestServer(t, idptest.Config{EndSession: true})
	cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "web", Authority: srv.Issuer()}, app.ClientSecret("s"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	srv.Close()
	got, err := cc.EndSessionEndpoint(ctx)
	if got != "" || !(errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrDiscovery)) {
		t.Fatalf("EndSessionEndpoint of a closed provider = %q, %v; want ErrUnavailable or ErrDiscovery", got, err)
	}
}
