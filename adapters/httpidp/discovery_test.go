package httpidp_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
)

const tenantGUID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

func TestProvider_Metadata_authorityKinds(t *testing.T) {
	tests := []struct {
		name          string
		path          string
		kind          domain.AuthorityKind
		wantDiscovery string // path the adapter must fetch
		issuer        string // path of the issuer served on the fake host
		wantOK        bool
	}{
		{"oidc root", "", domain.AuthorityOIDC, wellKnown, "", true},
		{"oidc path", "/realms/demo", domain.AuthorityOIDC, "/realms/demo" + wellKnown, "/realms/demo", true},
		{"oidc trailing slash refused", "/realms/demo", domain.AuthorityOIDC, "/realms/demo" + wellKnown, "/realms/demo/", false},
		{"oidc trailing slash configured", "/realms/demo/", domain.AuthorityOIDC, "/realms/demo" + wellKnown, "/realms/demo/", true},
		{"oidc slash configured, issuer without", "/realms/demo/", domain.AuthorityOIDC, "/realms/demo" + wellKnown, "/realms/demo", false},
		{"oidc root slash configured", "/", domain.AuthorityOIDC, wellKnown, "/", true},
		{"oidc root slash refused", "", domain.AuthorityOIDC, wellKnown, "/", false},
		{"oidc mismatch", "/realms/demo", domain.AuthorityOIDC, "/realms/demo" + wellKnown, "/realms/other", false},
		{"oidc prefix only", "/realms/demo", domain.AuthorityOIDC, "/realms/demo" + wellKnown, "/realms", false},
		{"entra common template", "/common", domain.AuthorityEntra, "/common/v2.0" + wellKnown, "/{tenantid}/v2.0", true},
		{"entra common guid refused", "/common", domain.AuthorityEntra, "/common/v2.0" + wellKnown, "/" + tenantGUID + "/v2.0", false},
		{"entra organizations template", "/organizations", domain.AuthorityEntra, "/organizations/v2.0" + wellKnown, "/{tenantid}/v2.0", true},
		{"entra consumers guid", "/consumers", domain.AuthorityEntra, "/consumers/v2.0" + wellKnown, "/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", true},
		{"entra consumers other guid refused", "/consumers", domain.AuthorityEntra, "/consumers/v2.0" + wellKnown, "/" + tenantGUID + "/v2.0", false},
		{"entra tenant id", "/" + tenantGUID, domain.AuthorityEntra, "/" + tenantGUID + "/v2.0" + wellKnown, "/" + tenantGUID + "/v2.0", true},
		{"entra tenant id other guid", "/" + tenantGUID, domain.AuthorityEntra, "/" + tenantGUID + "/v2.0" + wellKnown, "/00000000-0000-0000-0000-000000000001/v2.0", false},
		{"entra domain gets guid", "/contoso.onmicrosoft.com", domain.AuthorityEntra, "/contoso.onmicrosoft.com/v2.0" + wellKnown, "/" + tenantGUID + "/v2.0", true},
		{"entra domain not guid", "/contoso.onmicrosoft.com", domain.AuthorityEntra, "/contoso.onmicrosoft.com/v2.0" + wellKnown, "/contoso.onmicrosoft.com/v2.0", false},
		{"entra v1 issuer refused", "/" + tenantGUID, domain.AuthorityEntra, "/" + tenantGUID + "/v2.0" + wellKnown, "/" + tenantGUID + "/", false},
		{"b2c guid", "/contoso.onmicrosoft.com/B2C_1_signin", domain.AuthorityB2C, "/contoso.onmicrosoft.com/B2C_1_signin/v2.0" + wellKnown, "/" + tenantGUID + "/v2.0/", true},
		{"b2c tenant name", "/tfp/contoso.onmicrosoft.com/B2C_1_signin", domain.AuthorityB2C, "/contoso.onmicrosoft.com/B2C_1_signin/v2.0" + wellKnown, "/contoso.onmicrosoft.com/v2.0", true},
		{"b2c other tenant", "/contoso.onmicrosoft.com/B2C_1_signin", domain.AuthorityB2C, "/contoso.onmicrosoft.com/B2C_1_signin/v2.0" + wellKnown, "/fabrikam.onmicrosoft.com/v2.0", false},
		{"adfs", "/adfs", domain.AuthorityADFS, "/adfs" + wellKnown, "/adfs", true},
		{"adfs trailing slash refused", "/adfs", domain.AuthorityADFS, "/adfs" + wellKnown, "/adfs/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			var mu sync.Mutex
			var fetched []string
			f.setDoc(func(r *http.Request, doc map[string]any) {
				mu.Lock()
				fetched = append(fetched, r.URL.Path)
				mu.Unlock()
				doc["issuer"] = f.srv.URL + tt.issuer
			})
			p := newProvider(t, testConfig(newFakeClock()))
			a := f.authority(tt.path, tt.kind)
			m, err := p.Metadata(t.Context(), a)
			mu.Lock()
			defer mu.Unlock()
			if len(fetched) != 1 || fetched[0] != tt.wantDiscovery {
				t.Fatalf("fetched %q; want [%q]", fetched, tt.wantDiscovery)
			}
			if !tt.wantOK {
				de := wantClass(t, err, domain.ErrDiscovery)
				if !strings.Contains(de.Error(), "issuer") {
					t.Errorf("got error %q; want it to name the issuer", de)
				}
				return
			}
			if err != nil {
				t.Fatalf("Metadata() = %v; want nil", err)
			}
			if m.Issuer != f.srv.URL+tt.issuer || m.TokenEndpoint != f.srv.URL+"/token" || m.JWKSURI != f.srv.URL+"/jwks" {
				t.Errorf("got metadata %+v; want issuer %q and the fake's endpoints", m, f.srv.URL+tt.issuer)
			}
			if m.Authority != a {
				t.Errorf("got authority %+v; want %+v", m.Authority, a)
			}
		})
	}
}

func TestProvider_Metadata_fields(t *testing.T) {
	f := newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) {
		doc["end_session_endpoint"] = f.srv.URL + "/logout"
		doc["token_endpoint_auth_methods_supported"] = []string{"client_secret_post", "private_key_jwt"}
		doc["authorization_response_iss_parameter_supported"] = true
	})
	p := newProvider(t, testConfig(newFakeClock()))
	m, err := p.Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
	if err != nil {
		t.Fatalf("Metadata() = %v", err)
	}
	if m.EndSessionEndpoint != f.srv.URL+"/logout" || !m.IssuerInResponse ||
		strings.Join(m.TokenAuthMethods, ",") != "client_secret_post,private_key_jwt" || m.AuthorizationEndpoint != f.srv.URL+"/authorize" {
		t.Errorf("got %+v; want end session, iss parameter and auth methods from the document", m)
	}
}

func TestProvider_Metadata_insecureEndpointsRefused(t *testing.T) {
	for _, field := range []string{"token_endpoint", "jwks_uri", "authorization_endpoint", "end_session_endpoint"} {
		for _, value := range []string{"http://idp.example.com/x", "ftp://127.0.0.1/x", "not a url", "https://user:pw@idp.example.com/x"} {
			t.Run(field+" "+value, func(t *testing.T) {
				f := newFakeIdP(t)
				f.setDoc(func(_ *http.Request, doc map[string]any) { doc[field] = value })
				p := newProvider(t, testConfig(newFakeClock()))
				_, err := p.Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
				wantClass(t, err, domain.ErrDiscovery)
			})
		}
	}
	t.Run("missing token endpoint", func(t *testing.T) {
		f := newFakeIdP(t)
		f.setDoc(func(_ *http.Request, doc map[string]any) { delete(doc, "token_endpoint") })
		p := newProvider(t, testConfig(newFakeClock()))
		_, err := p.Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
		wantClass(t, err, domain.ErrDiscovery)
	})
	t.Run("https endpoints on an allowed host accepted", func(t *testing.T) {
		f := newFakeIdP(t)
		f.setDoc(func(_ *http.Request, doc map[string]any) { doc["token_endpoint"] = "https://idp.example.com/token" })
		cfg := testConfig(newFakeClock())
		cfg.AllowedHosts = []string{"IDP.example.com"}
		p := newProvider(t, cfg)
		m, err := p.Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
		if err != nil || m.TokenEndpoint != "https://idp.example.com/token" {
			t.Fatalf("Metadata() = %+v, %v; want the https token endpoint, nil", m, err)
		}
	})
}

func TestProvider_Metadata_httpsRequiredExceptLoopback(t *testing.T) {
	if _, err := domain.ParseAuthority("http://idp.example.com/realm", domain.AuthorityOIDC); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("ParseAuthority(http non-loopback) = %v; want ErrInvalidInput", err)
	}
	// An Authority built by hand, bypassing ParseAuthority, is refused without a request.
	rt := &countingTransport{}
	cfg := testConfig(newFakeClock())
	cfg.Transport = rt
	p := newProvider(t, cfg)
	for _, a := range []domain.Authority{
		{URL: "http://idp.example.com", Host: "idp.example.com", Kind: domain.AuthorityOIDC},
		{URL: "ftp://127.0.0.1", Host: "127.0.0.1", Kind: domain.AuthorityOIDC},
		{URL: "https://login.microsoftonline.com", Host: "login.microsoftonline.com", Kind: domain.AuthorityEntra},
		{URL: "https://x.b2clogin.com/t", Host: "x.b2clogin.com", Tenant: "t", Kind: domain.AuthorityB2C},
		{URL: "https://idp.example.com", Host: "idp.example.com", Kind: "weird"},
	} {
		if _, err := p.Metadata(t.Context(), a); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("Metadata(%+v) = %v; want ErrInvalidInput", a, err)
		}
	}
	if n := rt.calls(); n != 0 {
		t.Errorf("got %d requests; want 0", n)
	}
}

func TestProvider_Metadata_cachedAndShared(t *testing.T) {
	f := newFakeIdP(t)
	clock := newFakeClock()
	cfg := testConfig(clock)
	cfg.MetadataTTL = time.Hour
	p := newProvider(t, cfg)
	a := f.authority("", domain.AuthorityOIDC)
	for range 3 {
		if _, err := p.Metadata(t.Context(), a); err != nil {
			t.Fatalf("Metadata() = %v", err)
		}
	}
	if _, err := p.AuthorizationURL(t.Context(), a, domain.AuthorizationRequest{ClientID: "c", RedirectURI: "http://localhost/cb", State: "s"}); err != nil {
		t.Fatalf("AuthorizationURL() = %v", err)
	}
	if _, err := p.Token(t.Context(), clientCredentialsRequest(a)); err != nil {
		t.Fatalf("Token() = %v", err)
	}
	if n := f.count("discovery"); n != 1 {
		t.Fatalf("got %d discovery requests; want 1 (cached and shared)", n)
	}
	clock.Advance(59 * time.Minute)
	if _, err := p.Metadata(t.Context(), a); err != nil || f.count("discovery") != 1 {
		t.Fatalf("got %d discovery requests, %v inside the TTL; want 1, nil", f.count("discovery"), err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := p.Metadata(t.Context(), a); err != nil || f.count("discovery") != 2 {
		t.Fatalf("got %d discovery requests, %v after the TTL; want 2, nil", f.count("discovery"), err)
	}
}

func TestProvider_Metadata_concurrentMissesShareOneFetch(t *testing.T) {
	f := newFakeIdP(t)
	release := make(chan struct{})
	f.setDoc(func(*http.Request, map[string]any) { <-release })
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := p.Metadata(t.Context(), a)
			errs <- err
		})
	}
	for f.count("discovery") == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Metadata() = %v", err)
		}
	}
	if n := f.count("discovery"); n != 1 {
		t.Errorf("got %d discovery requests for 20 concurrent callers; want 1", n)
	}
}

func TestNew_noNetworkCall(t *testing.T) {
	rt := &countingTransport{}
	cfg := testConfig(newFakeClock())
	cfg.Transport = rt
	if _, err := httpidp.New(cfg); err != nil {
		t.Fatalf("New() = %v", err)
	}
	if n := rt.calls(); n != 0 {
		t.Errorf("got %d requests from New; want 0", n)
	}
}

func TestProvider_Metadata_redirects(t *testing.T) {
	t.Run("followed to loopback", func(t *testing.T) {
		f := newFakeIdP(t)
		f.setRaw(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == wellKnown {
				http.Redirect(w, r, "/moved"+wellKnown, http.StatusFound)
				return
			}
			writeJSON(w, 200, map[string]any{"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/a",
				"token_endpoint": f.srv.URL + "/t", "jwks_uri": f.srv.URL + "/k"})
		})
		p := newProvider(t, testConfig(newFakeClock()))
		if _, err := p.Metadata(t.Context(), f.authority("", domain.AuthorityOIDC)); err != nil {
			t.Fatalf("Metadata() = %v; want the GET redirect followed", err)
		}
	})
	for name, target := range map[string]string{
		"to plain http":  "http://idp.example.invalid" + wellKnown,
		"redirect loops": wellKnown,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setRaw(func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, http.StatusFound) })
			p := newProvider(t, testConfig(newFakeClock()))
			_, err := p.Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
			wantClass(t, err, domain.ErrDiscovery)
			if n := f.count("discovery"); n > 5 {
				t.Errorf("got %d discovery requests; want at most 5 (bounded redirects, not retried)", n)
			}
		})
	}
}

// BenchmarkProvider_Metadata_cached is what a silent hit pays to read the authority's
// issuer from the cached discovery document (the hit checks a cached ID token's iss).
//
//	go test -run '^$' -bench BenchmarkProvider_Metadata_cached -benchmem ./adapters/httpidp
func BenchmarkProvider_Metadata_cached(b *testing.B) {
	f := newFakeIdP(b)
	cfg := testConfig(newFakeClock())
	cfg.MetadataTTL = time.Hour
	p, err := httpidp.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	a := f.authority("", domain.AuthorityOIDC)
	if _, err := p.Metadata(b.Context(), a); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Metadata(b.Context(), a); err != nil {
			b.Fatal(err)
		}
	}
}

// TestProvider_Metadata_refusedIssuerLogBounded: the warning about a discovery
// document whose issuer is refused quotes that issuer bounded, as the error does. The
// document is the provider's text (or that of whatever host an authority names); raw,
// a 512 KiB issuer made a 512 KiB log line at every Metadata call, and a refusal is not
// cached, so each silent call logged another.
func TestProvider_Metadata_refusedIssuerLogBounded(t *testing.T) {
	f := newFakeIdP(t)
	huge := "https://evil.example.com/" + strings.Repeat("a", 512<<10)
	f.setDoc(func(_ *http.Request, doc map[string]any) { doc["issuer"] = huge })
	logger, logs := captureLogs()
	cfg := testConfig(newFakeClock())
	cfg.Logger = logger
	p := newProvider(t, cfg)
	_, err := p.Metadata(t.Context(), f.authority("", domain.AuthorityOIDC))
	if !errors.Is(err, domain.ErrDiscovery) {
		t.Fatalf("Metadata with a document naming another issuer = %v; want ErrDiscovery", err)
	}
	out := logs.String()
	if !strings.Contains(out, "discovery issuer refused") {
		t.Fatalf("logs = %.300q; want the refusal logged", out)
	}
	if len(out) > 4<<10 {
		t.Errorf("logs are %d bytes for one refused document with a %d-byte issuer; want the issuer bounded (under 4 KiB in all)", len(out), len(huge))
	}
}
