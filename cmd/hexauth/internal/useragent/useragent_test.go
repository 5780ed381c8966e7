package useragent_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
)

const (
	user     = "ada@example.com"
	password = "ada-secret-password"
	clientID = "cli"
)

func newServer(t *testing.T, cfg idptest.Config) *idptest.Server {
	t.Helper()
	cfg.Provider.Users = append(cfg.Provider.Users, idptest.User{Username: user, Password: password})
	cfg.Provider.Clients = []idptest.Client{{ID: clientID}}
	return idptest.NewTestServer(t, cfg)
}

// authURL returns an authorization URL of srv for redirectURI.
func authURL(srv *idptest.Server, redirectURI string) string {
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"openid api://x/read"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	return srv.URL() + "/authorize?" + q.Encode()
}

// redirectTarget is an application's loopback redirect URI that records what arrives.
func redirectTarget(t *testing.T) (*httptest.Server, chan url.Values) {
	t.Helper()
	got := make(chan url.Values, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()
		w.Write([]byte("signed in"))
	}))
	t.Cleanup(app.Close)
	return app, got
}

func TestAgent_Open_submitsTheLoginFormAndDeliversTheRedirect(t *testing.T) {
	srv := newServer(t, idptest.Config{})
	app, got := redirectTarget(t)
	a := useragent.New()
	defer a.Close()
	a.SetUser(user, password)
	if err := a.Open(context.Background(), authURL(srv, app.URL+"/cb")); err != nil {
		t.Fatal(err)
	}
	q := <-got
	if q.Get("code") == "" || q.Get("state") != "st-1" {
		t.Fatalf("got redirect query %v; want a code and state st-1", q)
	}
	if n := srv.EndpointRequests(idptest.EndpointAuthorize); n != 2 {
		t.Fatalf("got %d authorize requests; want 2 (the form, then its submission)", n)
	}
}

func TestAgent_Open_autoApprovedUserNeedsNoForm(t *testing.T) {
	srv := newServer(t, idptest.Config{AutoApproveUser: user})
	app, got := redirectTarget(t)
	a := useragent.New()
	defer a.Close()
	if err := a.Open(context.Background(), authURL(srv, app.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if q := <-got; q.Get("code") == "" {
		t.Fatalf("got redirect query %v; want a code", q)
	}
}

func TestAgent_Authorize_refusals(t *testing.T) {
	srv := newServer(t, idptest.Config{})
	a := useragent.New()
	defer a.Close()
	for _, tc := range []struct {
		name, url, password, want string
	}{
		{"wrong password", authURL(srv, "http://127.0.0.1:1/cb"), "not-it", "Wrong username or password"},
		{"not loopback", "https://login.example.com/authorize?x=1", password, "loopback"},
		{"unknown client", strings.Replace(authURL(srv, "http://127.0.0.1:1/cb"), "client_id="+clientID, "client_id=other", 1), password, "HTTP 400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.SetUser(user, tc.password)
			_, err := a.Authorize(context.Background(), tc.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.password) {
				t.Fatalf("the error %q quotes the password", err)
			}
		})
	}
}

func TestAgent_Authorize_returnsTheRedirectWithoutVisitingIt(t *testing.T) {
	srv := newServer(t, idptest.Config{})
	a := useragent.New()
	defer a.Close()
	a.SetUser(user, password)
	loc, err := a.Authorize(context.Background(), authURL(srv, "http://127.0.0.1:1/never-visited"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path != "/never-visited" || loc.Query().Get("code") == "" {
		t.Fatalf("got %v; want the redirect URI with a code", loc)
	}
	if err := a.Deliver(context.Background(), &url.URL{Scheme: "https", Host: "example.com"}); err == nil {
		t.Fatal("Deliver to a non-loopback host succeeded; want a refusal")
	}
}
