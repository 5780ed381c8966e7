package azcore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	hexaz "github.com/hexauth/hexauth/contrib/azcore"
	"github.com/hexauth/hexauth/domain"
)

// A daemon calls an API through an Azure SDK pipeline with hexauth's app tokens. The
// pipeline asks for CAE tokens, so the credential gets a CAE client (capability cp1,
// its own cache) beside the plain one.
func ExampleNewConfidential() {
	ctx := context.Background()
	provider, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Clients: []idptest.Client{{ID: "daemon", Secret: "daemon-secret"}},
	}})
	if err != nil {
		panic(err)
	}
	defer provider.Close()

	config := app.Config{
		ClientID: "daemon", Authority: provider.EntraAuthority("contoso.example"), AuthorityKind: domain.AuthorityEntra,
		Cache: "memory:", // in production: a store and partition per client, e.g. two SQLite files
	}
	plain, err := app.NewConfidentialClient(ctx, config, app.ClientSecret("daemon-secret"))
	if err != nil {
		panic(err)
	}
	defer plain.Close()
	config.ClientCapabilities = []string{hexaz.CAECapability}
	cae, err := app.NewConfidentialClient(ctx, config, app.ClientSecret("daemon-secret"))
	if err != nil {
		panic(err)
	}
	defer cae.Close()

	cred, err := hexaz.NewConfidential(cae, plain, nil)
	if err != nil {
		panic(err)
	}

	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("API: bearer token attached:", strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer api.Close()
	pipeline := runtime.NewPipeline("example", "v1.0.0", runtime.PipelineOptions{
		PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{"api://orders/.default"}, nil)},
	}, &policy.ClientOptions{Transport: api.Client()})
	req, err := runtime.NewRequest(ctx, http.MethodGet, api.URL+"/orders")
	if err != nil {
		panic(err)
	}
	resp, err := pipeline.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// API: bearer token attached: true
	// 200 OK
}
