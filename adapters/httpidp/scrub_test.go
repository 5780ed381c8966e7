package httpidp_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// leakForms returns s as a provider may echo it: raw, URL-encoded, base64, base64url,
// JSON-escaped and hex.
func leakForms(s string) []string {
	j, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)),
		base64.RawURLEncoding.EncodeToString([]byte(s)), string(j[1 : len(j)-1]), hex.EncodeToString([]byte(s))}
}

// TestProvider_Token_providerEchoingTheRequestLeaksNoSecret: a provider that echoes the
// request (form and Authorization header) in error_description gets none of the
// request's secrets into the error, whatever the grant and client authentication.
func TestProvider_Token_providerEchoingTheRequestLeaksNoSecret(t *testing.T) {
	srv := newIDPTest(t)
	p := newProvider(t, httpidp.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	a, err := domain.ParseAuthority(srv.Issuer(), domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	keys := testKeys()
	scopes := []string{"openid", "api://backend/.default"}
	reqs := map[string]domain.TokenRequest{
		"code": {Authority: a, ClientID: "public-app", Grant: domain.GrantAuthorizationCode, Code: "Code-Canary-7f3a/+=x",
			CodeVerifier: "Verifier-Canary-0b9d2c8e1f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1", RedirectURI: itRedirect, Scopes: scopes},
		"password": {Authority: a, ClientID: "public-app", Grant: domain.GrantPassword, Username: "user-canary-41@example.com",
			Password: "Pässword Canary&9=/+", Scopes: scopes},
		"refresh": {Authority: a, ClientID: "public-app", Grant: domain.GrantRefreshToken, RefreshToken: "RT-canary.0.AAA_bbb-ccc", Scopes: scopes},
		"basic": {Authority: a, ClientID: "secret-app", Grant: domain.GrantClientCredentials, Scopes: scopes,
			Credential: domain.ClientCredential{Secret: "Client-Secret~Canary:5", AuthMethod: httpidp.AuthMethodClientSecretBasic}},
		"post": {Authority: a, ClientID: "secret-app", Grant: domain.GrantClientCredentials, Scopes: scopes,
			Credential: domain.ClientCredential{Secret: "Client-Secret~Canary:5", AuthMethod: httpidp.AuthMethodClientSecretPost}},
		"assertion": {Authority: a, ClientID: "cert-app", Grant: domain.GrantClientCredentials, Scopes: scopes,
			Credential: domain.ClientCredential{Key: keys.rsa, Certificates: []*x509.Certificate{keys.rsaCert}}},
	}
	for name, req := range reqs {
		t.Run(name, func(t *testing.T) {
			srv.Script(idptest.Fault{Status: 400, EchoRequest: true,
				Error: &idptest.ErrorResponse{Error: "invalid_request", Description: "AADSTS900144: bad request \x1b[2J"}})
			_, err := p.Token(t.Context(), req)
			de := wantClass(t, err, domain.ErrInvalidClient)
			if !strings.Contains(de.Description, "AADSTS900144") || !strings.Contains(de.Description, domain.Redacted) {
				t.Errorf("got description %q; want the provider's text with the secrets %s", de.Description, domain.Redacted)
			}
			shown := err.Error() + fmt.Sprintf("%+v %#v", err, de) + de.Description
			if strings.ContainsRune(shown, 0x1b) {
				t.Errorf("the error holds a raw ESC: %q", shown)
			}
			secrets := req.Secrets()
			if req.Credential.Secret != "" {
				secrets = append(secrets, url.QueryEscape(req.ClientID)+":"+url.QueryEscape(string(req.Credential.Secret)))
			}
			for _, s := range secrets {
				if s == "" {
					continue
				}
				for _, f := range leakForms(s) {
					if strings.Contains(shown, f) {
						t.Errorf("the error holds the secret %q as %q: %s", s, f, shown)
					}
				}
			}
			if name == "assertion" && strings.Contains(shown, "eyJ") {
				t.Errorf("the error holds a JWT (the client assertion): %s", shown)
			}
		})
	}
}
