package idptest_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// This example tests an application's token acquisition against the fake provider: the
// application discovers the endpoints from the issuer, gets a token, and then meets a
// scripted outage. In a test, idptest.NewTestServer(t, cfg) closes the server for you.
func Example() {
	srv, err := idptest.NewServer(idptest.Config{
		Provider: idptest.ProviderConfig{
			Users:   []idptest.User{{Username: "ada@example.com", Password: "pw"}},
			Clients: []idptest.Client{{ID: "my-app", Secret: "s3cret"}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// The application under test is configured with srv.Issuer() as its authority.
	tokenEndpoint := discoverTokenEndpoint(srv.Issuer())
	status, tok := passwordGrant(tokenEndpoint)
	fmt.Println(status, tok.TokenType, tok.ExpiresIn, tok.IDToken != "")

	// Script the provider's failures and check how the application copes.
	srv.Script(idptest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second,
		Error: &idptest.ErrorResponse{Error: "temporarily_unavailable"}})
	status, _ = passwordGrant(tokenEndpoint)
	fmt.Println(status, srv.Requests(domain.GrantPassword))

	// Sign a user in at the application's authorization URL as a browser would: the
	// values are the query of the redirect back to the application.
	pkce, _ := domain.NewPKCE(rand.Reader)
	authURL := srv.Issuer() + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {"my-app"}, "redirect_uri": {"http://127.0.0.1:8400/callback"},
		"scope": {"openid"}, "state": {"xyz"}, "code_challenge": {pkce.Challenge}, "code_challenge_method": {"S256"},
	}.Encode()
	callback, err := srv.SignIn(context.Background(), authURL, "ada@example.com", "pw")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(callback.Get("state"), callback.Get("code") != "")
	_, err = srv.SignIn(context.Background(), authURL, "ada@example.com", "wrong")
	fmt.Println(errors.Is(err, domain.ErrInvalidGrant))
	// Output:
	// 200 Bearer 3600 true
	// 503 2
	// xyz true
	// true
}

// token is the part of a token response the example reads.
type token struct {
	TokenType string `json:"token_type"`
	ExpiresIn int    `json:"expires_in"`
	IDToken   string `json:"id_token"`
}

func discoverTokenEndpoint(issuer string) string {
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var meta struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		log.Fatal(err)
	}
	return meta.TokenEndpoint
}

func passwordGrant(tokenEndpoint string) (int, token) {
	form := url.Values{"grant_type": {"password"}, "username": {"ada@example.com"}, "password": {"pw"},
		"scope": {"openid api://orders/read"}}
	req, _ := http.NewRequest(http.MethodPost, tokenEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("my-app", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var t token
	_ = json.NewDecoder(resp.Body).Decode(&t)
	return resp.StatusCode, t
}

// This example signs a user in through the login form, as a browser would, and
// redeems the code with its PKCE verifier.
func Example_loginForm() {
	srv, err := idptest.NewServer(idptest.Config{
		Provider: idptest.ProviderConfig{
			Users:   []idptest.User{{Username: "ada@example.com", Password: "pw"}},
			Clients: []idptest.Client{{ID: "spa", RedirectURIs: []string{"http://127.0.0.1:8400/callback"}}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	pkce, _ := domain.NewPKCE(rand.Reader)
	request := url.Values{
		"response_type": {"code"}, "client_id": {"spa"}, "redirect_uri": {"http://127.0.0.1:8400/callback"},
		"scope": {"openid offline_access"}, "state": {"xyz"}, "nonce": {"n-0S6"},
		"code_challenge": {pkce.Challenge}, "code_challenge_method": {"S256"},
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// GET shows the form; posting it back with the request's fields signs the user in.
	page, err := browser.Get(srv.URL() + "/authorize?" + request.Encode())
	if err != nil {
		log.Fatal(err)
	}
	page.Body.Close()
	form := url.Values{"username": {"ada@example.com"}, "password": {"pw"}}
	for k, v := range request {
		form[k] = v
	}
	resp, err := browser.PostForm(srv.URL()+"/authorize", form)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))
	fmt.Println(page.StatusCode, resp.StatusCode, callback.Path, callback.Query().Get("state"))

	tokenResp, err := http.PostForm(srv.URL()+"/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"spa"}, "code": {callback.Query().Get("code")},
		"code_verifier": {string(pkce.Verifier)}, "redirect_uri": {"http://127.0.0.1:8400/callback"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tokenResp.Body.Close()
	var tok struct {
		IDToken      string `json:"id_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.NewDecoder(tokenResp.Body).Decode(&tok)
	_, claims, _ := domain.ParseIDToken(tok.IDToken)
	fmt.Println(tokenResp.StatusCode, claims.PreferredUsername, claims.Nonce, tok.RefreshToken != "")
	// Output:
	// 200 302 /callback xyz
	// 200 ada@example.com n-0S6 true
}
