package httpidp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
)

// A confidential client redeems client credentials at an OpenID Connect issuer. The
// issuer here is a tiny loopback server; in production the authority would be
// https://login.microsoftonline.com/{tenant} or any https issuer.
func Example() {
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{
				"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
				"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks",
			})
		case "/token":
			if _, secret, _ := r.BasicAuth(); secret != "s3cret" {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"bad secret"}`))
				return
			}
			_, _ = w.Write([]byte(`{"access_token":"eyJ...","token_type":"bearer","expires_in":3599}`))
		}
	}))
	defer srv.Close()
	issuer = srv.URL

	idp, err := httpidp.New(httpidp.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	authority, err := domain.ParseAuthority(issuer, domain.AuthorityAuto)
	if err != nil {
		fmt.Println(err)
		return
	}
	req := domain.TokenRequest{
		Authority:  authority,
		ClientID:   "my-app",
		Grant:      domain.GrantClientCredentials,
		Scopes:     []string{"api://my-api/.default"},
		Credential: domain.ClientCredential{Secret: "s3cret"},
	}
	res, err := idp.Token(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.TokenType, res.ExpiresIn)

	req.Credential.Secret = "wrong"
	_, err = idp.Token(context.Background(), req)
	fmt.Println(errors.Is(err, domain.ErrInvalidClient))
	// Output:
	// Bearer 59m59s
	// true
}
