package app_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
)

// headerTransport stands for otelhttp.NewTransport or a proxy: it tags each request
// and counts it before handing it on.
type headerTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (t *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	r = r.Clone(r.Context())
	r.Header.Set("X-Request-Source", "orders-service")
	return t.base.RoundTrip(r)
}

// The caller's HTTP client (a proxy, otelhttp, custom CAs) carries every request to the
// provider. Clients of one process with the same HTTPClient (or Transport),
// AllowedHosts, Logger and Clock share one provider adapter: the second client below
// reuses the first one's discovery document. The example runs against the HTTP fake
// provider of adapters/httpidp/idptest on a loopback port.
func ExampleConfig_httpClient() {
	srv, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Clients: []idptest.Client{{ID: "orders-daemon", Secret: "s3cret"}, {ID: "billing-daemon", Secret: "s3cret"}},
	}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	transport := &headerTransport{base: http.DefaultTransport}
	httpClient := &http.Client{Transport: transport} // the adapter uses a copy; this one is left as it is
	ctx := context.Background()
	for _, id := range []string{"orders-daemon", "billing-daemon"} {
		cc, err := app.NewConfidentialClient(ctx, app.Config{
			ClientID: id, Authority: srv.Issuer(), HTTPClient: httpClient,
		}, app.ClientSecret("s3cret"))
		if err != nil {
			panic(err)
		}
		defer cc.Close()
		if _, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"}); err != nil {
			panic(err)
		}
	}
	fmt.Println("requests through the caller's transport:", transport.n.Load())
	fmt.Println("discovery requests:", srv.EndpointRequests(idptest.EndpointDiscovery))
	// Output:
	// requests through the caller's transport: 3
	// discovery requests: 1
}
