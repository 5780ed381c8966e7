package app_test

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/oauth2"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
)

// perRPC is docs/ecosystem.md's gRPC per-RPC credential over a TokenSource: it has
// the method set of google.golang.org/grpc/credentials.PerRPCCredentials, without
// importing gRPC.
type perRPC struct{ src oauth2.TokenSource }

func (p perRPC) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	t, err := p.src.Token()
	if err != nil {
		return nil, err
	}
	return map[string]string{"authorization": t.Type() + " " + t.AccessToken}, nil
}

func (perRPC) RequireTransportSecurity() bool { return true }

// gRPC per-RPC credentials over app.TokenSource (pass perRPC to
// grpc.WithPerRPCCredentials): each RPC's metadata carries the cached bearer token.
func Example_gRPCPerRPCCredentials() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, "alice@example.com", "correct horse", readOrders)
	if err != nil {
		panic(err)
	}

	creds := perRPC{src: app.TokenSource(ctx, pc, readOrders, res.Account)}
	md, err := creds.GetRequestMetadata(ctx, "https://orders.example.com/orders.v1.Orders")
	if err != nil {
		panic(err)
	}
	fmt.Println("authorization is the cached token:", md["authorization"] == "Bearer "+string(res.AccessToken))
	fmt.Println("scheme:", strings.Fields(md["authorization"])[0])
	fmt.Println("transport security required:", creds.RequireTransportSecurity())
	// Output:
	// authorization is the cached token: true
	// scheme: Bearer
	// transport security required: true
}
