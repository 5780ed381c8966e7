package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
)

// The device code flow (RFC 8628): show the user a code to enter on another device,
// then wait for them. Here the fake provider plays the user, who approves after the
// first two polls; the memory clock makes the 5-second waits instant.
func ExamplePublicClient_AcquireTokenByDeviceFlow() {
	ctx := context.Background()
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()

	flow, err := pc.InitiateDeviceFlow(ctx, readOrders)
	if err != nil {
		fmt.Println("initiate:", err)
		return
	}
	// Show the message (it names the page and the user code) where the user reads it:
	// a CLI writes it to stderr, so that stdout keeps only the result.
	fmt.Fprintln(os.Stderr, flow.Message)
	fmt.Println("expires in:", flow.ExpiresOn.Sub(clock.Now()), "poll every:", flow.Interval)

	// The user signs in on their phone (scripted: two polls find the sign-in pending).
	pending := &domain.Error{Code: "authorization_pending", HTTPStatus: 400}
	idp.FailNext(domain.GrantDeviceCode, pending)
	idp.FailNext(domain.GrantDeviceCode, pending)
	_ = idp.ApproveDevice(flow.UserCode, "alice@example.com")

	start := clock.Now()
	res, err := pc.AcquireTokenByDeviceFlow(ctx, flow)
	switch {
	case errors.Is(err, domain.ErrAccessDenied):
		fmt.Println("the user declined")
	case errors.Is(err, domain.ErrDeviceCodeExpired):
		fmt.Println("the code expired: start again")
	case err != nil:
		fmt.Println("error:", err)
	default:
		fmt.Println("signed in:", res.Account.Username, "after", clock.Now().Sub(start))
		silent, _ := pc.AcquireTokenSilent(ctx, readOrders, res.Account)
		fmt.Println("next call served from:", silent.TokenSource)
	}
	// Output:
	// expires in: 15m0s poll every: 5s
	// signed in: alice@example.com after 15s
	// next call served from: cache
}
