package conformance

import (
	"errors"
	"maps"
	"net/url"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// withIssuerInResponse makes the provider send and advertise iss in authorization
// responses (RFC 9207).
func withIssuerInResponse(s *FlowSetup) { s.IssuerInResponse = true }

// scenarioIDTokenFaults: an ID token with the wrong nonce, issuer or audience, an extra
// audience without azp, another azp, expired, badly signed, unsigned, MAC'd or typed as
// an access token is refused with its documented class (docs/errors.md) at the
// end of the auth code flow, and — nonce aside, which only that flow sends — on the
// password grant too; nothing is cached.
func scenarioIDTokenFaults(t *testing.T, env FlowEnv) {
	f := env.Flows(flowPartition)
	defer env.Provider.SetIDTokenFault(IDTokenOK)
	for _, c := range []struct {
		name  string
		fault IDTokenFault
		want  error
	}{
		{"WrongNonce", IDTokenWrongNonce, domain.ErrNonceMismatch},
		{"WrongIssuer", IDTokenWrongIssuer, domain.ErrInvalidIDToken},
		{"WrongAudience", IDTokenWrongAudience, domain.ErrInvalidIDToken},
		{"Expired", IDTokenExpired, domain.ErrInvalidIDToken},
		{"WrongSignature", IDTokenWrongSignature, domain.ErrInvalidIDToken},
		{"AlgNone", IDTokenAlgNone, domain.ErrInvalidIDToken},
		{"ExtraAudienceWithoutAzp", IDTokenExtraAudience, domain.ErrInvalidIDToken},
		{"WrongAzp", IDTokenWrongAzp, domain.ErrInvalidIDToken},
		{"AccessTokenType", IDTokenAccessTokenType, domain.ErrInvalidIDToken},
		{"HMAC", IDTokenHMAC, domain.ErrInvalidIDToken},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := flowContext(t)
			env.Provider.SetIDTokenFault(c.fault)
			flow, resp := authorize(t, env, f, "alice@example.com", "alice-pw")
			codes := env.Provider.Calls(domain.GrantAuthorizationCode)
			_, err := f.CompleteAuthCode(ctx, flow, resp)
			if !errors.Is(err, c.want) {
				t.Fatalf("CompleteAuthCode with an ID token fault %s = %v; want %v", c.name, err, c.want)
			}
			if n := env.Provider.Calls(domain.GrantAuthorizationCode); n != codes+1 {
				t.Fatalf("authorization-code grants = %d; want %d (the code redeemed once)", n, codes+1)
			}
			wantCacheEmpty(t, "an auth code flow whose ID token is refused ("+c.name+")", env.Store, flowPartition)
			if c.fault != IDTokenWrongNonce { // the password grant sends no nonce
				_, err := f.Password(ctx, "alice@example.com", "alice-pw", flowScopes)
				if !errors.Is(err, c.want) {
					t.Fatalf("Password with an ID token fault %s = %v; want %v", c.name, err, c.want)
				}
				wantCacheEmpty(t, "a password grant whose ID token is refused ("+c.name+")", env.Store, flowPartition)
			}
			if accts, err := f.Accounts(ctx, ""); err != nil || len(accts) != 0 {
				t.Fatalf("Accounts after refused ID tokens = %v, %v; want none", accts, err)
			}
		})
	}
	env.Provider.SetIDTokenFault(IDTokenOK)
	signIn(t, f, "alice@example.com", "alice-pw") // the faults, not the set-up, made the refusals
}

// scenarioRefreshContinuesTheIDToken: a refresh response's ID token must keep the
// cached one's aud (as a set) and azp, and may carry no nonce the cached one lacks (OIDC
// Core §12.2): otherwise it is refused (ErrInvalidIDToken) and the cache is left as it
// was. A token with an extra audience and azp the client is valid, on sign-in and on a
// refresh that keeps both.
func scenarioRefreshContinuesTheIDToken(t *testing.T, env FlowEnv) {
	f := env.Flows(flowPartition)
	defer env.Provider.SetIDTokenFault(IDTokenOK)
	for _, c := range []struct {
		name  string
		fault IDTokenFault
	}{
		{"AddsAudience", IDTokenRefreshAddsAudience},
		{"AddsAzp", IDTokenRefreshAddsAzp},
		{"AddsNonce", IDTokenRefreshAddsNonce},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := flowContext(t)
			env.Provider.SetIDTokenFault(c.fault) // each fault changes only refresh responses
			first := signIn(t, f, "alice@example.com", "alice-pw")
			before := readCache(t, env.Store, flowPartition)
			refreshes := env.Provider.Calls(domain.GrantRefreshToken)
			_, err := f.Silent(ctx, flowScopes, first.Account, true)
			if !errors.Is(err, domain.ErrInvalidIDToken) {
				t.Fatalf("Silent whose refresh response's ID token %s = %v; want ErrInvalidIDToken", c.name, err)
			}
			if n := env.Provider.Calls(domain.GrantRefreshToken) - refreshes; n != 1 {
				t.Fatalf("refresh grants = %d; want 1", n)
			}
			wantCacheUnchanged(t, "a refresh whose ID token "+c.name, env.Store, flowPartition, before)
		})
	}
	t.Run("ExtraAudienceWithAzpKept", func(t *testing.T) {
		ctx := flowContext(t)
		env.Provider.SetIDTokenFault(IDTokenExtraAudienceWithAzp)
		first := signIn(t, f, "bob@example.com", "bob-pw")
		res, err := f.Silent(ctx, flowScopes, first.Account, true)
		wantSource(t, "Silent refreshing an ID token with an extra audience and azp the client", res, err, domain.SourceIdentityProvider)
	})
}

// scenarioAuthResponseIssuer: when the provider advertises
// authorization_response_iss_parameter_supported, an authorization response without
// iss, or with another issuer, is refused (ErrInvalidResponse) before the code is
// redeemed (RFC 9207 §2.4), and nothing is cached; the response as sent completes.
func scenarioAuthResponseIssuer(t *testing.T, env FlowEnv) {
	ctx := flowContext(t)
	f := env.Flows(flowPartition)
	for _, c := range []struct {
		name   string
		forge  func(url.Values)
		reason string
	}{
		{"without iss", func(v url.Values) { v.Del("iss") }, "a mix-up attacker's response need not carry it"},
		{"with another issuer", func(v url.Values) { v.Set("iss", "https://attacker.example.com") }, "the response came from another provider"},
	} {
		flow, resp := authorize(t, env, f, "alice@example.com", "alice-pw")
		if resp.Get("iss") == "" {
			t.Fatal("the provider was set up to send iss in authorization responses, but sent none")
		}
		forged := maps.Clone(resp)
		c.forge(forged)
		if _, err := f.CompleteAuthCode(ctx, flow, forged); !errors.Is(err, domain.ErrInvalidResponse) {
			t.Fatalf("CompleteAuthCode with a response %s = %v; want ErrInvalidResponse (%s)", c.name, err, c.reason)
		}
		if n := env.Provider.Calls(domain.GrantAuthorizationCode); n != 0 {
			t.Fatalf("authorization-code grants after a response %s = %d; want 0 (refused before redeeming)", c.name, n)
		}
		wantCacheEmpty(t, "an authorization response "+c.name, env.Store, flowPartition)
	}
	flow, resp := authorize(t, env, f, "alice@example.com", "alice-pw")
	res, err := f.CompleteAuthCode(ctx, flow, resp)
	wantSource(t, "CompleteAuthCode with the provider's iss", res, err, domain.SourceIdentityProvider)
}

// authorize starts an auth code flow and signs username in at its authorization URL,
// returning the flow and the provider's response.
func authorize(t *testing.T, env FlowEnv, f Flows, username, password string) (domain.AuthCodeFlow, url.Values) {
	t.Helper()
	ctx := flowContext(t)
	flow, err := f.InitiateAuthCode(ctx, flowScopes, flowSetup.RedirectURI)
	if err != nil {
		t.Fatalf("InitiateAuthCode = %v", err)
	}
	resp, err := env.Provider.SignIn(ctx, flow.AuthURI, username, password)
	if err != nil {
		t.Fatalf("SignIn at the authorization URL = %v", err)
	}
	if resp.Get("code") == "" {
		t.Fatalf("SignIn returned no code (error %q)", resp.Get("error"))
	}
	return flow, resp
}
