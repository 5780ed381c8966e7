package idptest_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

func TestServer_Script_matching(t *testing.T) {
	f := newFixture(t, nil)
	tokenURL := f.srv.URL() + "/token"
	discoveryURL := f.srv.URL() + "/.well-known/openid-configuration"
	rt := postForm(t, tokenURL, passwordForm()).json(t)["refresh_token"].(string)
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {publicID}, "refresh_token": {rt}}

	// A grant-specific fault waits for its grant; the empty Endpoint means the token endpoint.
	f.srv.Script(idptest.Fault{Grant: domain.GrantRefreshToken, Status: 503})
	if r := get(t, discoveryURL); r.status != 200 {
		t.Errorf("discovery took a token fault: status %d", r.status)
	}
	if r := postForm(t, tokenURL, passwordForm()); r.status != 200 {
		t.Errorf("a password grant took a refresh_token fault: status %d", r.status)
	}
	if r := postForm(t, tokenURL, refresh); r.status != 503 {
		t.Errorf("refresh_token grant: status %d; want the scripted 503", r.status)
	}

	// Times: 2, then the fault is used up.
	f.srv.Script(idptest.Fault{Endpoint: idptest.EndpointDiscovery, Status: 500, Times: 2})
	for i, want := range []int{500, 500, 200} {
		if r := get(t, discoveryURL); r.status != want {
			t.Errorf("discovery %d: status %d; want %d", i, r.status, want)
		}
	}

	// Faults queue in order; EndpointAny matches the JWKS endpoint too.
	f.srv.Script(idptest.Fault{Endpoint: idptest.EndpointAny, Status: 502}, idptest.Fault{Endpoint: idptest.EndpointAny, Status: 504})
	if r := get(t, f.srv.URL()+"/keys"); r.status != 502 {
		t.Errorf("first queued fault: status %d; want 502", r.status)
	}
	if r := postForm(t, tokenURL, passwordForm()); r.status != 504 {
		t.Errorf("second queued fault: status %d; want 504", r.status)
	}

	// A negative Times lasts until ClearFaults.
	f.srv.Script(idptest.Fault{Times: -1, Status: 503})
	for i := range 3 {
		if r := postForm(t, tokenURL, passwordForm()); r.status != 503 {
			t.Errorf("request %d: status %d; want 503", i, r.status)
		}
	}
	if n := f.srv.PendingFaults(); n != 1 {
		t.Errorf("PendingFaults() = %d; want 1", n)
	}
	f.srv.ClearFaults()
	if r := postForm(t, tokenURL, passwordForm()); r.status != 200 || f.srv.PendingFaults() != 0 {
		t.Errorf("after ClearFaults: status %d, %d pending; want 200, 0", r.status, f.srv.PendingFaults())
	}

	f.srv.FailNext(http.StatusServiceUnavailable, "temporarily_unavailable")
	r := postForm(t, tokenURL, passwordForm())
	if m := r.json(t); r.status != 503 || m["error"] != "temporarily_unavailable" {
		t.Errorf("FailNext: status %d error %v; want 503 temporarily_unavailable", r.status, m["error"])
	}
}

func TestServer_Script_authorizeEndpoint(t *testing.T) {
	f := newFixture(t, autoApprove)
	f.srv.Script(idptest.Fault{Endpoint: idptest.EndpointAuthorize, Status: 500, Body: idptest.BodyHTML})
	v := authParams(publicID, newPKCE(t).Challenge, "n")
	if r := get(t, f.srv.URL()+"/authorize?"+v.Encode()); r.status != 500 {
		t.Errorf("status %d; want the scripted 500", r.status)
	}
	if n := f.srv.EndpointRequests(idptest.EndpointAuthorize); n != 1 {
		t.Errorf("EndpointRequests(authorize) = %d; want 1", n)
	}
}

func TestServer_Requests_countsPerGrantAndEndpoint(t *testing.T) {
	f := newFixture(t, autoApprove)
	base := f.srv.URL()
	get(t, base+"/.well-known/openid-configuration")
	get(t, f.srv.EntraAuthority("common")+"/v2.0/.well-known/openid-configuration")
	get(t, base+"/keys")
	code, verifier := authCode(t, base+"/authorize", publicID, "n")
	postForm(t, base+"/token", codeForm(code, verifier))
	rt := postForm(t, base+"/token", passwordForm()).json(t)["refresh_token"].(string)
	f.srv.Script(idptest.Fault{Status: 500})
	postForm(t, base+"/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {publicID}, "refresh_token": {rt}})
	postForm(t, base+"/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"x/.default"}}, webID+":"+webSecret)
	postForm(t, base+"/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"x/.default"}}, webID+":"+webSecret)

	grants := map[domain.GrantKind]int{domain.GrantAuthorizationCode: 1, domain.GrantPassword: 1,
		domain.GrantRefreshToken: 1, domain.GrantClientCredentials: 2}
	for g, want := range grants {
		if n := f.srv.Requests(g); n != want {
			t.Errorf("Requests(%s) = %d; want %d", g, n, want)
		}
	}
	endpoints := map[idptest.Endpoint]int{idptest.EndpointDiscovery: 2, idptest.EndpointJWKS: 1,
		idptest.EndpointAuthorize: 1, idptest.EndpointToken: 5, idptest.EndpointAny: 9}
	for e, want := range endpoints {
		if n := f.srv.EndpointRequests(e); n != want {
			t.Errorf("EndpointRequests(%s) = %d; want %d", e, n, want)
		}
	}
	c := f.srv.Counts()
	if c.Endpoints[idptest.EndpointToken] != 5 || c.Grants[domain.GrantClientCredentials] != 2 {
		t.Errorf("Counts() = %+v; want 5 token requests, 2 client_credentials", c)
	}
	f.srv.ResetCounts()
	if n := f.srv.EndpointRequests(idptest.EndpointAny); n != 0 || f.srv.Requests(domain.GrantPassword) != 0 {
		t.Errorf("after ResetCounts: %d requests; want 0", n)
	}
	if c.Endpoints[idptest.EndpointToken] != 5 {
		t.Errorf("ResetCounts changed an earlier snapshot")
	}
}

func TestServer_Requests_concurrent(t *testing.T) {
	f := newFixture(t, nil)
	const workers, each = 8, 5
	f.srv.Script(idptest.Fault{Status: 503, Times: 10})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				resp, err := noRedirect.PostForm(f.srv.URL()+"/token", passwordForm())
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if n := f.srv.Requests(domain.GrantPassword); n != workers*each {
		t.Errorf("Requests(password) = %d; want %d", n, workers*each)
	}
	if n := f.srv.PendingFaults(); n != 0 {
		t.Errorf("PendingFaults() = %d; want 0 (10 faults for %d requests)", n, workers*each)
	}
}
