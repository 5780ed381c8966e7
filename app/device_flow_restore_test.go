package app_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// A device flow kept with SessionJSON carries its authority and client id, which
// whoever can write the session can change. Completing it trusts neither: a flow naming
// another client, or another authority than the completing call's (the client's, or
// WithAuthority's), is ErrInvalidFlow and its device code is sent nowhere, as an auth
// code flow's is. A flow initiated WithAuthority completes when that authority is named
// again.
func TestPublicClient_AcquireTokenByDeviceFlow_restoredFlowTrustsNotItsAuthorityOrClient(t *testing.T) {
	ctx := testContext(t)
	clock := memory.NewClock(exampleStart)
	idp := newFake(clock)
	pc := newPublicClient(ctx, idp, clock)
	defer pc.Close()
	const otherTenant = "https://login.example.com/tenant-b"
	flow, err := pc.InitiateDeviceFlow(ctx, readOrders, app.WithAuthority(otherTenant))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := flow.SessionJSON()
	if err != nil {
		t.Fatal(err)
	}
	restore := func(t *testing.T, from, to string) app.DeviceFlow {
		t.Helper()
		edited := bytes.Replace(kept, []byte(from), []byte(to), 1)
		if bytes.Equal(edited, kept) {
			t.Fatalf("%s is not in the flow's JSON %s", from, kept)
		}
		var f app.DeviceFlow
		if err := f.UnmarshalJSON(edited); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct {
		name string
		flow app.DeviceFlow
		opts []app.DeviceOption
	}{
		{"the client's authority, not the flow's, completing it", flow, nil},
		{"the flow's authority edited to the client's", restore(t, `"authority":"`+otherTenant, `"authority":"`+authority), []app.DeviceOption{app.WithAuthority(otherTenant)}},
		{"the flow's client edited", restore(t, `"client_id":"`+clientID, `"client_id":"`+webApp), []app.DeviceOption{app.WithAuthority(otherTenant)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pc.AcquireTokenByDeviceFlow(ctx, tc.flow, tc.opts...)
			if !errors.Is(err, domain.ErrInvalidFlow) {
				t.Fatalf("AcquireTokenByDeviceFlow = %v; want ErrInvalidFlow", err)
			}
			if n := idp.Calls(domain.GrantDeviceCode); n != 0 {
				t.Fatalf("%d polls sent; want the device code sent nowhere", n)
			}
		})
	}
	var restored app.DeviceFlow
	if err := restored.UnmarshalJSON(kept); err != nil {
		t.Fatal(err)
	}
	if err := idp.ApproveDevice(restored.UserCode, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenByDeviceFlow(ctx, restored, app.WithAuthority(otherTenant))
	if err != nil || res.Account.Username != "alice@example.com" {
		t.Fatalf("AcquireTokenByDeviceFlow naming the flow's authority = %v, %v; want alice signed in", res.Account.Username, err)
	}
}
