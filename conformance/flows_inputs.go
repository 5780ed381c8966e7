package conformance

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// scenarioRepeatedAuthResponseParameter: a redirect that gives a parameter twice is
// refused (ErrStateMismatch) before any grant, and the flow still completes with the
// real redirect (issue 11, item 4).
func scenarioRepeatedAuthResponseParameter(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	flow, err := f.InitiateAuthCode(ctx, flowScopes, flowSetup.RedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := env.Provider.SignIn(ctx, flow.AuthURI, "alice@example.com", "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"code", "state"} {
		polluted := url.Values{}
		for k, v := range resp {
			polluted[k] = append([]string(nil), v...)
		}
		polluted.Add(p, polluted.Get(p))
		if _, err := f.CompleteAuthCode(ctx, flow, polluted); !errors.Is(err, domain.ErrStateMismatch) {
			t.Fatalf("CompleteAuthCode with %s given twice = %v; want ErrStateMismatch", p, err)
		}
	}
	if n := env.Provider.Calls(domain.GrantAuthorizationCode); n != 0 {
		t.Fatalf("authorization-code grants after refused redirects = %d; want 0", n)
	}
	if _, err := f.CompleteAuthCode(ctx, flow, resp); err != nil {
		t.Fatalf("CompleteAuthCode with the real redirect after refused ones = %v; want nil (the flow must not be used up)", err)
	}
}

// scenarioDoneContextIsUnavailable: a context past its deadline is ErrUnavailable
// wrapping context.DeadlineExceeded on every flow, whatever the provider and store, and
// reaches neither (issue 11, item 7).
func scenarioDoneContextIsUnavailable(t *testing.T, env FlowEnv) {
	f := env.Flows(flowPartition)
	res := signIn(t, f, "alice@example.com", "alice-pw")
	before := env.Provider.Calls(domain.GrantRefreshToken) + env.Provider.Calls(domain.GrantPassword)
	ctx, cancel := context.WithDeadline(flowContext(t), time.Unix(1, 0))
	defer cancel()
	for name, err := range map[string]error{
		"Silent":           second(f.Silent(ctx, flowScopes, res.Account, true)),
		"Password":         second(f.Password(ctx, "alice@example.com", "alice-pw", flowScopes)),
		"InitiateAuthCode": second(f.InitiateAuthCode(ctx, flowScopes, flowSetup.RedirectURI)),
		"RefreshToken":     second(f.RefreshToken(ctx, "some-refresh-token", flowScopes)),
		"Accounts":         second(f.Accounts(ctx, "")),
	} {
		if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s(ctx past its deadline, …) = %v; want ErrUnavailable wrapping context.DeadlineExceeded", name, err)
		}
	}
	if now := env.Provider.Calls(domain.GrantRefreshToken) + env.Provider.Calls(domain.GrantPassword); now != before {
		t.Fatalf("a done context reached the provider (%d more calls)", now-before)
	}
}

// oversizedInputs are the bad inputs of issue 11 item 6 that scenarioBadInput adds.
func oversizedInputs(ctx context.Context, f Flows, acct domain.Account) map[string]error {
	mb := strings.Repeat("u", 1<<20)
	return map[string]error{
		"1 MB username":             second(f.Password(ctx, mb, "alice-pw", flowScopes)),
		"1 MB scope":                second(f.Silent(ctx, []string{mb}, acct, false)),
		"scope with a line break":   second(f.Silent(ctx, []string{"api://x/read\r\nX-Injected: 1"}, acct, false)),
		"reserved scopes and a tab": second(f.Silent(ctx, []string{"OpenID", "Offline_Access\tx"}, acct, false)),
		"http redirect URI":         second(f.InitiateAuthCode(ctx, flowScopes, "http://app.example/cb")),
		"8 KB code with control bytes": second(f.RedeemCode(ctx, CodeRedemption{
			Code: strings.Repeat("c\x01", 4096), RedirectURI: flowSetup.RedirectURI, Scopes: flowScopes,
		})),
	}
}
