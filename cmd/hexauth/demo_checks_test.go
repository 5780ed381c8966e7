package main

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
)

func TestCheckPKCE_wantsAnS256Challenge(t *testing.T) {
	challenge := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	good := "http://127.0.0.1:1/authorize?client_id=c&code_challenge=" + challenge + "&code_challenge_method=S256"
	if err := checkPKCE(good); err != nil {
		t.Fatalf("checkPKCE(%q) = %v; want nil", good, err)
	}
	for _, bad := range []string{
		"http://127.0.0.1:1/authorize?client_id=c&code_challenge=" + challenge + "&code_challenge_method=plain",
		"http://127.0.0.1:1/authorize?client_id=c&code_challenge=" + challenge,
		"http://127.0.0.1:1/authorize?client_id=c&code_challenge_method=S256",
		"http://127.0.0.1:1/authorize?client_id=c&code_challenge=short&code_challenge_method=S256",
		"",
	} {
		if err := checkPKCE(bad); err == nil {
			t.Errorf("checkPKCE(%q) = nil; want an error", bad)
		}
	}
}

// idTokenFrom signs ada in at srv with the library and returns the raw ID token.
func idTokenFrom(t *testing.T, srv *idptest.Server) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: testClient, Authority: srv.Issuer(), Cache: "memory:"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	res, err := pc.AcquireTokenByUsernamePassword(ctx, adaName, adaPassword, []string{testScope})
	if err != nil || res.IDToken == "" {
		t.Fatalf("sign in: %v (ID token given: %t)", err, res.IDToken != "")
	}
	return string(res.IDToken)
}

func TestVerifySignature_providerKeysOnly(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "PS384", "ES512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			cfg := idptest.Config{Provider: idptest.ProviderConfig{
				Users:   []idptest.User{{Username: adaName, Password: adaPassword}},
				Clients: []idptest.Client{{ID: testClient}}, SigningAlg: alg,
			}}
			srv, other := idptest.NewTestServer(t, cfg), idptest.NewTestServer(t, cfg)
			tok := idTokenFrom(t, srv)
			if err := verifySignature(tok, srv.JWKS()); err != nil {
				t.Fatalf("verifySignature(the provider's ID token, its JWKS) = %v; want nil", err)
			}
			parts := strings.Split(tok, ".")
			claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
			forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), adaName, "eve@example.com", 1))) + "." + parts[2]
			none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
			for name, tc := range map[string]struct {
				token string
				jwks  []byte
			}{
				"another provider's keys": {tok, other.JWKS()},
				"claims changed":          {forged, srv.JWKS()},
				"unsigned":                {none, srv.JWKS()},
				"not a JWS":               {"not-a-token", srv.JWKS()},
				"no key set":              {tok, []byte(`{"keys":[]}`)},
			} {
				if err := verifySignature(tc.token, tc.jwks); err == nil {
					t.Errorf("%s: verifySignature = nil; want an error", name)
				}
			}
		})
	}
}
