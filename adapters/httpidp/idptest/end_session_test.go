package idptest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

const postLogoutURI = "http://127.0.0.1:9/signed-out?from=idp"

// newEndSessionFixture starts a server with the end-session endpoint, the public client
// registering postLogoutURI, and returns it with an ID token of the public client.
func newEndSessionFixture(t *testing.T) (fixture, string) {
	t.Helper()
	f := newFixture(t, func(c *idptest.Config) {
		c.EndSession = true
		c.Provider.Clients[0].PostLogoutRedirectURIs = []string{postLogoutURI}
	})
	tok := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)
	idToken, _ := tok["id_token"].(string)
	if idToken == "" {
		t.Fatalf("password grant: no id_token in %v", tok)
	}
	return f, idToken
}

func TestServer_EndSession_offByDefault(t *testing.T) {
	f := newFixture(t, nil)
	if r := get(t, f.srv.URL()+"/.well-known/openid-configuration"); strings.Contains(string(r.body), "end_session_endpoint") {
		t.Fatalf("discovery announces end_session_endpoint without Config.EndSession: %s", r.body)
	}
	if r := get(t, f.srv.URL()+"/logout"); r.status != http.StatusNotFound {
		t.Fatalf("GET /logout without Config.EndSession = %d; want 404", r.status)
	}
}

func TestServer_EndSession_redirectsToTheRegisteredURIWithState(t *testing.T) {
	f, idToken := newEndSessionFixture(t)
	base := f.srv.URL()
	if d := get(t, base+"/.well-known/openid-configuration").json(t); d["end_session_endpoint"] != base+"/logout" {
		t.Fatalf("end_session_endpoint = %v; want %s/logout", d["end_session_endpoint"], base)
	}
	if d := get(t, base+"/common/v2.0/.well-known/openid-configuration").json(t); d["end_session_endpoint"] != nil {
		t.Fatalf("Entra layout announces end_session_endpoint %v; want none (OIDC layout only)", d["end_session_endpoint"])
	}
	params := url.Values{"id_token_hint": {idToken}, "client_id": {publicID}, "post_logout_redirect_uri": {postLogoutURI}, "state": {"st-1"}}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		var r reply
		if method == http.MethodGet {
			r = get(t, base+"/logout?"+params.Encode())
		} else {
			r = postForm(t, base+"/logout", params)
		}
		u := location(t, r)
		if got := u.Scheme + "://" + u.Host + u.Path; got != "http://127.0.0.1:9/signed-out" || u.Query().Get("state") != "st-1" || u.Query().Get("from") != "idp" {
			t.Fatalf("%s: redirect to %s; want %s with state st-1", method, u, postLogoutURI)
		}
	}
	// The hint alone names the client (its single audience).
	params.Del("client_id")
	if u := location(t, get(t, base+"/logout?"+params.Encode())); u.Query().Get("state") != "st-1" {
		t.Fatalf("hint without client_id: redirect to %s; want the registered URI", u)
	}
	got := f.srv.EndSessions()
	if len(got) != 3 || got[0] != (idptest.EndSessionRequest{IDTokenHint: idToken, ClientID: publicID, PostLogoutRedirectURI: postLogoutURI, State: "st-1"}) || got[2].ClientID != publicID {
		t.Fatalf("EndSessions = %+v; want the three requests, for %s", got, publicID)
	}
	if n := f.srv.EndpointRequests(idptest.EndpointEndSession); n != 3 {
		t.Fatalf("EndpointRequests(end_session) = %d; want 3", n)
	}
	if r := get(t, base+"/logout"); r.status != http.StatusOK || !strings.Contains(string(r.body), "You are signed out.") {
		t.Fatalf("GET /logout without parameters = %d %q; want the signed-out page", r.status, r.body)
	}
}

func TestServer_EndSession_refusals(t *testing.T) {
	f, idToken := newEndSessionFixture(t)
	tampered := []byte(idToken)
	tampered[len(tampered)-5] ^= 1
	tests := []struct {
		name   string
		params url.Values
	}{
		{"hint not signed by the server", url.Values{"id_token_hint": {string(tampered)}}},
		{"hint not a token", url.Values{"id_token_hint": {"not-a-token"}}},
		{"hint issued to another client", url.Values{"id_token_hint": {idToken}, "client_id": {webID}}},
		{"unknown client", url.Values{"client_id": {"nobody"}}},
		{"unregistered post-logout URI", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"http://127.0.0.1:9/elsewhere"}}},
		{"registered URI of another client", url.Values{"client_id": {webID}, "post_logout_redirect_uri": {postLogoutURI}}},
		{"post-logout URI without a client", url.Values{"post_logout_redirect_uri": {postLogoutURI}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, f.srv.URL()+"/logout?"+tc.params.Encode())
			if r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 400 and no redirect", r.status, r.header.Get("Location"))
			}
		})
	}
	if got := f.srv.EndSessions(); len(got) != 0 {
		t.Fatalf("EndSessions = %+v after refusals only; want none", got)
	}
}
