//go:build e2e

package e2e

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// TestDiscovery_authorizationURL: hexauth finds the authorization endpoint in the
// provider's discovery document and asks for a code with S256 PKCE, state and nonce.
func TestDiscovery_authorizationURL(t *testing.T) {
	pc := newPublic(t, "a", "public-pkce", "memory:", 0)
	flow, err := pc.InitiateAuthCodeFlow(ctxOf(t), []string{apiRead}, redirectTo)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(flow.AuthURI)
	if err != nil || !strings.HasPrefix(flow.AuthURI, issuers["a"]+"/auth?") {
		t.Fatalf("authorization URL %q; want the provider's %s/auth", flow.AuthURI, issuers["a"])
	}
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "code_challenge_method": "S256", "client_id": "public-pkce", "redirect_uri": redirectTo} {
		if q.Get(k) != want {
			t.Errorf("%s = %q; want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("no %s in the authorization URL", k)
		}
	}
	if s := strings.Fields(q.Get("scope")); !contains(s, "openid") || !contains(s, "offline_access") || !contains(s, apiRead) {
		t.Errorf("scope = %q; want openid, offline_access and %s", q.Get("scope"), apiRead)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestDiscovery_wrongIssuer: an authority the provider does not serve, or its issuer
// with a trailing slash (OIDC Discovery §4.3 wants an exact match), is a discovery
// error, not a sign-in.
func TestDiscovery_wrongIssuer(t *testing.T) {
	for _, authority := range []string{base + "/realms/c", issuers["a"] + "/"} {
		t.Run(authority, func(t *testing.T) {
			pc, err := app.NewPublicClient(ctxOf(t), app.Config{ClientID: "public-pkce", Authority: authority, Cache: "memory:"})
			if err == nil {
				defer pc.Close()
				_, err = pc.InitiateAuthCodeFlow(ctxOf(t), []string{apiRead}, redirectTo)
			}
			if !errors.Is(err, domain.ErrDiscovery) {
				t.Fatalf("InitiateAuthCodeFlow at %s = %v; want a discovery error", authority, err)
			}
		})
	}
}

// TestUnreachableProvider: a provider that does not answer is unavailable (CLI exit 5),
// not a reason to sign in again.
func TestUnreachableProvider(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	pc, err := app.NewPublicClient(ctxOf(t), app.Config{ClientID: "public-pkce", Authority: "http://" + addr + "/realms/a", Cache: "memory:"})
	if err == nil {
		defer pc.Close()
		_, err = pc.InitiateAuthCodeFlow(ctxOf(t), []string{apiRead}, redirectTo)
	}
	if !errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("InitiateAuthCodeFlow at a closed port = %v; want unavailable", err)
	}
}

// TestAuthCode_userDenies: the user presses Deny on the consent page; the provider
// redirects with error=access_denied.
func TestAuthCode_userDenies(t *testing.T) {
	ctx := ctxOf(t)
	pc := newPublic(t, "a", "public-pkce", "memory:", 0)
	flow, err := pc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("consent"))
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, redirectTo)
	p := b.get(flow.AuthURI)
	p = b.submit(p, "login", url.Values{"login": {alice}, "password": {passwords["a"][alice]}})
	p = b.submit(p, "deny", nil)
	loc, _ := url.Parse(p.resp.Header.Get("Location"))
	if loc == nil || !strings.HasPrefix(loc.String(), redirectTo) {
		t.Fatalf("deny ended at %s; want a redirect to the app", p)
	}
	_, err = pc.AcquireTokenByAuthCodeFlow(ctx, flow, loc.Query())
	if !errors.Is(err, domain.ErrAccessDenied) {
		t.Fatalf("AcquireTokenByAuthCodeFlow after Deny = %v; want access denied", err)
	}
}

// TestAuthCode_mixUp_issuerInResponse: the provider sends iss in its authorization
// response (RFC 9207) and says so in discovery; a response carrying another issuer (a
// mix-up attack) or none is refused before the code is redeemed.
func TestAuthCode_mixUp_issuerInResponse(t *testing.T) {
	ctx := ctxOf(t)
	for _, tc := range []struct {
		name  string
		alter func(url.Values)
	}{
		{"other issuer on the host", func(v url.Values) { v.Set("iss", issuers["b"]) }},
		{"no iss", func(v url.Values) { v.Del("iss") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc := newPublic(t, "a", "public-pkce", "memory:", 0)
			flow, err := pc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("consent"))
			if err != nil {
				t.Fatal(err)
			}
			resp := newBrowser(t, redirectTo).authResponse(flow.AuthURI, alice, passwords["a"][alice])
			if resp.Get("iss") != issuers["a"] {
				t.Fatalf("the provider's response has iss %q; want %q", resp.Get("iss"), issuers["a"])
			}
			resetCounts(t)
			tc.alter(resp)
			if _, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp); err == nil {
				t.Fatalf("AcquireTokenByAuthCodeFlow accepted the response")
			}
			if n := counts(t).ok("a", "authorization_code") + counts(t).error("a", "authorization_code"); n != 0 {
				t.Errorf("the code was redeemed %d times; want never", n)
			}
		})
	}
}

// TestAuthCode_codeReplayed: an authorization code is single-use; node-oidc-provider
// answers a second redemption with invalid_grant and revokes what the first one issued
// (RFC 6749 §4.1.2).
func TestAuthCode_codeReplayed(t *testing.T) {
	ctx := ctxOf(t)
	pc := newPublic(t, "a", "public-pkce", sqliteCache(t), 0)
	flow, err := pc.InitiateAuthCodeFlow(ctx, []string{apiRead}, redirectTo, app.WithPrompt("consent"))
	if err != nil {
		t.Fatal(err)
	}
	resp := newBrowser(t, redirectTo).authResponse(flow.AuthURI, alice, passwords["a"][alice])
	first, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp)
	if err != nil {
		t.Fatal(err)
	}
	// hexauth refuses a completed flow itself; the lower-level call lets the code reach
	// the provider again, as a stolen code would.
	if _, err := pc.AcquireTokenByAuthCodeFlow(ctx, flow, resp); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Errorf("the flow completed again = %v; want invalid flow", err)
	}
	_, err = pc.AcquireTokenByAuthorizationCode(ctx, resp.Get("code"), redirectTo, []string{apiRead},
		app.WithCodeVerifier(string(flow.CodeVerifier)), app.WithNonce(flow.Nonce))
	if !errors.Is(err, domain.ErrInvalidGrant) {
		t.Fatalf("the code redeemed again = %v; want invalid_grant", err)
	}
	x := newPublic(t, "a", "public-pkce", "memory:", 2*time.Hour)
	if _, err := x.AcquireTokenByRefreshToken(ctx, string(first.RefreshToken), []string{apiRead}); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Errorf("the first redemption's refresh token after the replay = %v; want refused (revoked), interaction required", err)
	}
}

// TestRevokedGrant: the refresh token revoked at the provider (RFC 7009, as a sign-out
// would) makes the next silent refresh report interaction required, once.
func TestRevokedGrant(t *testing.T) {
	ctx := ctxOf(t)
	cache := sqliteCache(t)
	pc := newPublic(t, "a", "public-pkce", cache, 0)
	res := signIn(t, pc, "a", alice, apiRead)
	form := url.Values{"token": {string(res.RefreshToken)}, "token_type_hint": {"refresh_token"}, "client_id": {"public-pkce"}}
	r, err := http.PostForm(issuers["a"]+"/token/revocation", form)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("revocation: %s", r.Status)
	}
	x := newPublic(t, "a", "public-pkce", cache, 2*time.Hour)
	resetCounts(t)
	_, err = x.AcquireTokenSilent(ctx, []string{apiRead}, res.Account)
	if !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("silent after revocation = %v; want interaction required", err)
	}
	_, err = x.AcquireTokenSilent(ctx, []string{apiRead}, res.Account)
	if !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("second silent after revocation = %v; want interaction required", err)
	}
	if n := counts(t).error("a", "refresh_token"); n != 1 {
		t.Errorf("refused refresh grants = %d; want 1 (a refused token is not presented again)", n)
	}
}

// cutTransport is a network path that can be cut: while down, every request fails as a
// refused connection would.
type cutTransport struct{ down atomic.Bool }

func (c *cutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.down.Load() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestUnreachableProvider_midSession: the provider goes out of reach after the sign-in.
// The refresh fails as unavailable, not as a reason to sign in again, and the refresh
// token is kept: once the provider is back, silent refreshes with it.
func TestUnreachableProvider_midSession(t *testing.T) {
	ctx := ctxOf(t)
	cut := &cutTransport{}
	cache := sqliteCache(t)
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: "public-pkce", Authority: issuers["a"], Cache: cache, Transport: cut, ExpiryBuffer: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	res := signIn(t, pc, "a", alice, apiRead)
	cut.down.Store(true)
	_, err = pc.AcquireTokenSilent(ctx, []string{apiRead}, res.Account)
	if !errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("silent with the provider out of reach = %v; want unavailable", err)
	}
	cut.down.Store(false)
	if r, err := pc.AcquireTokenSilent(ctx, []string{apiRead}, res.Account); err != nil || r.TokenSource != domain.SourceIdentityProvider {
		t.Fatalf("silent once the provider is back = %v; want a refresh with the kept refresh token", err)
	}
}
