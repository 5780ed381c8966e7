package httpidp_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
)

// hostOf returns the host:port of a server URL, for AllowedHosts.
func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// A discovery URL that redirects to another origin (another port of 127.0.0.1 is
// another origin) whose document copies the real issuer and endpoints: the redirect
// alone is refused, so the document is never trusted.
func TestProvider_Metadata_crossOriginRedirectRefused(t *testing.T) {
	real, other := newFakeIdP(t), newFakeIdP(t)
	other.setDoc(func(_ *http.Request, doc map[string]any) {
		doc["issuer"] = real.srv.URL
		doc["authorization_endpoint"] = real.srv.URL + "/authorize"
		doc["token_endpoint"] = real.srv.URL + "/token"
		doc["jwks_uri"] = real.srv.URL + "/jwks"
	})
	real.setRaw(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+wellKnown, http.StatusFound)
	})
	p := newProvider(t, testConfig(newFakeClock()))
	_, err := p.Metadata(t.Context(), real.authority("", domain.AuthorityOIDC))
	de := wantClass(t, err, domain.ErrDiscovery)
	if !strings.Contains(de.Error(), "redirected") {
		t.Errorf("got %q; want it to say the request was redirected", de)
	}
	if n := other.count("discovery"); n != 0 {
		t.Errorf("the other origin served %d discovery requests; want 0", n)
	}
}

// The attack of issue 11 item 1 end to end: the other origin's document copies the real
// issuer and names its own token endpoint; the password never reaches it.
func TestProvider_Token_passwordNeverReachesARedirectedOrigin(t *testing.T) {
	real, evil := newFakeIdP(t), newFakeIdP(t)
	evil.setDoc(func(_ *http.Request, doc map[string]any) { doc["issuer"] = real.srv.URL })
	real.setRaw(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.srv.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	p := newProvider(t, testConfig(newFakeClock()))
	req := domain.TokenRequest{Authority: real.authority("", domain.AuthorityOIDC), ClientID: "client-1",
		Grant: domain.GrantPassword, Username: "ann", Password: "pw-secret-value", Scopes: []string{"openid"}}
	_, err := p.Token(t.Context(), req)
	wantClass(t, err, domain.ErrDiscovery)
	if strings.Contains(err.Error(), "pw-secret-value") {
		t.Errorf("error %q carries the password", err)
	}
	if n := evil.count("token"); n != 0 {
		t.Fatalf("the other origin got %d token requests; want 0", n)
	}
}

// A key-set GET redirected to another origin is refused before that origin is asked.
func TestProvider_VerifyIDTokenSignature_crossOriginJWKSRedirectRefused(t *testing.T) {
	f, other := newFakeIdP(t), newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) { doc["jwks_uri"] = f.srv.URL + "/keys-moved" })
	f.setRaw(nil)
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	if _, err := p.Metadata(t.Context(), a); err != nil {
		t.Fatalf("Metadata() = %v", err)
	}
	f.setRaw(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+"/jwks", http.StatusFound)
	})
	err := p.VerifyIDTokenSignature(t.Context(), a, unsignedLookingJWT())
	wantClass(t, err, domain.ErrDiscovery)
	if n := other.count("jwks"); n != 0 {
		t.Errorf("the other origin got %d key-set requests; want 0", n)
	}
}

// unsignedLookingJWT is a compact JWS whose header asks for RS256 key "k" and whose
// signature is junk: enough to make the verifier fetch the key set.
func unsignedLookingJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k","typ":"JWT"}`)) + "." +
		enc([]byte(`{"iss":"https://issuer","sub":"s","aud":"client-1","exp":4102444800}`)) + "." + enc([]byte("junk signature"))
}

func TestProvider_Metadata_endpointOnAnotherOrigin(t *testing.T) {
	for _, field := range []string{"token_endpoint", "authorization_endpoint", "jwks_uri", "end_session_endpoint"} {
		t.Run(field, func(t *testing.T) {
			f, other := newFakeIdP(t), newFakeIdP(t)
			f.setDoc(func(_ *http.Request, doc map[string]any) { doc[field] = other.srv.URL + "/x" })
			a := f.authority("", domain.AuthorityOIDC)

			p := newProvider(t, testConfig(newFakeClock()))
			_, err := p.Metadata(t.Context(), a)
			de := wantClass(t, err, domain.ErrDiscovery)
			if !strings.Contains(de.Error(), field) || !strings.Contains(de.Error(), hostOf(t, other.srv.URL)) {
				t.Errorf("got %q; want it to name %s and the host", de, field)
			}

			cfg := testConfig(newFakeClock())
			cfg.AllowedHosts = []string{hostOf(t, other.srv.URL)}
			if m, err := newProvider(t, cfg).Metadata(t.Context(), a); err != nil {
				t.Errorf("Metadata() with the host allow-listed = %+v, %v; want nil error", m, err)
			}
			cfg.AllowedHosts = []string{"127.0.0.1:1"} // the host, another port
			_, err = newProvider(t, cfg).Metadata(t.Context(), a)
			wantClass(t, err, domain.ErrDiscovery)
		})
	}
}

// The allow-list lifts the origin rule, never the scheme rule.
func TestProvider_Metadata_allowedHostStillNeedsHTTPS(t *testing.T) {
	f := newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) { doc["token_endpoint"] = "http://idp.example.com/token" })
	cfg := testConfig(newFakeClock())
	cfg.AllowedHosts = []string{"idp.example.com"}
	_, err := newProvider(t, cfg).Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
	wantClass(t, err, domain.ErrDiscovery)
}

func TestProvider_Metadata_linkLocalAuthorityRefused(t *testing.T) {
	for _, raw := range []string{"https://169.254.169.254/latest", "https://[fe80::1]/issuer", "https://[::ffff:169.254.169.254]:8443/x", "https://2852039166/x"} {
		t.Run(raw, func(t *testing.T) {
			a, err := domain.ParseAuthority(raw, domain.AuthorityOIDC)
			if err != nil {
				t.Fatalf("ParseAuthority(%q) = %v", raw, err)
			}
			rt := &countingTransport{fail: func(*http.Request) error { return errors.New("no network in this test") }}
			cfg := testConfig(newFakeClock())
			cfg.Transport = rt
			cfg.MaxRetries = -1
			_, err = newProvider(t, cfg).Metadata(t.Context(), a)
			de := wantClass(t, err, domain.ErrInvalidInput)
			if !strings.Contains(de.Error(), "link-local") {
				t.Errorf("got %q; want it to say link-local", de)
			}
			if n := rt.calls(); n != 0 {
				t.Errorf("got %d requests; want 0", n)
			}
			u, _ := url.Parse(raw)
			cfg.AllowedHosts = []string{u.Hostname()}
			_, err = newProvider(t, cfg).Metadata(t.Context(), a)
			wantClass(t, err, domain.ErrUnavailable) // allowed: the request was sent (and failed)
			if n := rt.calls(); n != 1 {
				t.Errorf("got %d requests with the host allow-listed; want 1", n)
			}
		})
	}
}

func TestProvider_Metadata_linkLocalEndpointRefused(t *testing.T) {
	f := newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) { doc["jwks_uri"] = "https://169.254.169.254/keys" })
	_, err := newProvider(t, testConfig(newFakeClock())).Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
	de := wantClass(t, err, domain.ErrDiscovery)
	if !strings.Contains(de.Error(), "link-local") {
		t.Errorf("got %q; want it to say link-local", de)
	}
}

func TestConfig_Validate_allowedHostsAndClient(t *testing.T) {
	for _, h := range []string{"", "https://idp.example.com", "idp.example.com/path", "*.example.com", "user@idp"} {
		if err := (httpidp.Config{AllowedHosts: []string{h}}).Validate(); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("Validate(AllowedHosts %q) = %v; want ErrInvalidInput", h, err)
		}
	}
	for _, h := range []string{"idp.example.com", "idp.example.com:8443", "[fe80::1]", "169.254.169.254"} {
		if err := (httpidp.Config{AllowedHosts: []string{h}}).Validate(); err != nil {
			t.Errorf("Validate(AllowedHosts %q) = %v; want nil", h, err)
		}
	}
	if err := (httpidp.Config{HTTPClient: &http.Client{}, Transport: http.DefaultTransport}).Validate(); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Validate(HTTPClient and Transport) = %v; want ErrInvalidInput", err)
	}
}

// The caller's client carries every request, and the redirect rules hold through it
// even when its own CheckRedirect would follow anything; the caller's value is never
// modified.
func TestProvider_HTTPClient_usedWithTheRedirectRules(t *testing.T) {
	real, other := newFakeIdP(t), newFakeIdP(t)
	rt := &countingTransport{}
	var callerChecks int
	caller := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error {
		callerChecks++
		return nil // would follow anything
	}}
	cfg := testConfig(newFakeClock())
	cfg.HTTPClient = caller
	p := newProvider(t, cfg)
	a := real.authority("", domain.AuthorityOIDC)
	if _, err := p.Token(t.Context(), clientCredentialsRequest(a)); err != nil {
		t.Fatalf("Token() = %v", err)
	}
	if n := rt.calls(); n != 2 {
		t.Errorf("the caller's transport carried %d requests; want 2 (discovery, token)", n)
	}

	other.setDoc(func(_ *http.Request, doc map[string]any) { doc["issuer"] = real.srv.URL + "/moved" })
	moved := real.authority("/moved", domain.AuthorityOIDC)
	real.setRaw(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+"/moved"+wellKnown, http.StatusFound)
	})
	_, err := p.Metadata(t.Context(), moved)
	wantClass(t, err, domain.ErrDiscovery)
	if n := other.count("discovery"); n != 0 {
		t.Errorf("the other origin served %d discovery requests through the caller's client; want 0", n)
	}
	if callerChecks != 0 {
		t.Errorf("the caller's CheckRedirect ran %d times for a refused redirect; want 0", callerChecks)
	}
	if caller.Timeout != 0 || caller.Transport != rt {
		t.Errorf("the caller's client was modified: %+v", caller)
	}
}

// A same-origin redirect passes the adapter's rules, then the caller's CheckRedirect,
// which may still refuse it.
func TestProvider_HTTPClient_callerCheckRedirectRunsAfterOurs(t *testing.T) {
	f := newFakeIdP(t)
	f.setRaw(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == wellKnown {
			http.Redirect(w, r, "/moved"+wellKnown, http.StatusFound)
			return
		}
		writeJSON(w, 200, map[string]any{"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/a",
			"token_endpoint": f.srv.URL + "/t", "jwks_uri": f.srv.URL + "/k"})
	})
	refusal := errors.New("caller refuses redirects")
	cfg := testConfig(newFakeClock())
	cfg.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return refusal }}
	cfg.MaxRetries = -1
	_, err := newProvider(t, cfg).Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
	if err == nil || !errors.Is(err, refusal) {
		t.Fatalf("Metadata() = %v; want the caller's refusal", err)
	}
}

// Two authorities that differ only by a trailing slash share a discovery URL but are
// two issuers: a document cached for one is not served to the other unchecked.
func TestProvider_Metadata_cacheKeepsTheExactIssuerRule(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	if _, err := p.Metadata(t.Context(), f.authority("", domain.AuthorityOIDC)); err != nil {
		t.Fatalf("Metadata(issuer as announced) = %v", err)
	}
	_, err := p.Metadata(t.Context(), f.authority("/", domain.AuthorityOIDC))
	wantClass(t, err, domain.ErrDiscovery)
}

// A token POST follows no redirect through the caller's client either, even one whose
// CheckRedirect would follow anything, and even to the same origin.
func TestProvider_HTTPClient_tokenPOSTFollowsNoRedirect(t *testing.T) {
	f := newFakeIdP(t)
	var moved int
	f.setToken(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, f.srv.URL+"/token-moved", http.StatusTemporaryRedirect)
	})
	cfg := testConfig(newFakeClock())
	cfg.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { moved++; return nil }}
	p := newProvider(t, cfg)
	_, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
	de := wantClass(t, err, domain.ErrInvalidResponse)
	if de.HTTPStatus != http.StatusTemporaryRedirect || moved != 0 {
		t.Errorf("got status %d and %d calls of the caller's CheckRedirect; want 307 and 0", de.HTTPStatus, moved)
	}
	if strings.Contains(err.Error(), "cs-secret-value") {
		t.Errorf("error %q carries the client secret", err)
	}
}
