package app_test

import (
	"context"
	"fmt"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
)

// A client registered with client_secret_post sends its secret in the request body, even
// where the provider's discovery document lists client_secret_basic too.
func ExampleClientSecretPost() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: webApp, Authority: authority, IdentityProvider: newFake(clock), Clock: clock},
		app.ClientSecretPost("web-secret"))
	if err != nil {
		panic(err)
	}
	defer cc.Close()
	res, err := cc.AcquireTokenForClient(ctx, []string{"api://orders/.default"})
	fmt.Println(res.TokenSource, err)
	// Output:
	// identity_provider <nil>
}
