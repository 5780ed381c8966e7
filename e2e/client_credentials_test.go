//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

func newConfidential(t *testing.T, clientID string, cred app.Credential) *app.ConfidentialClient {
	t.Helper()
	cc, err := app.NewConfidentialClient(ctxOf(t), app.Config{ClientID: clientID, Authority: issuers["a"], Cache: "memory:"}, cred)
	if err != nil {
		t.Fatalf("NewConfidentialClient(%s) = %v", clientID, err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// TestClientCredentials_everyAuthMethod: each client is registered with one method; the
// provider counts the method each token request used (node-oidc-provider accepts a
// secret in the header or the body whatever was registered; other providers hold a
// client to its registered method).
func TestClientCredentials_everyAuthMethod(t *testing.T) {
	for _, tc := range []struct {
		name, clientID string
		cred           app.Credential
	}{
		{"client_secret_basic", "conf-basic", app.ClientSecret("basic-secret-0123456789")},
		{"client_secret_post", "conf-post", app.ClientSecretPost("post-secret-0123456789")},
		{"private_key_jwt", "conf-jwt", app.ClientCertificate([]*x509.Certificate{clientCrt}, clientKey)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxOf(t)
			cc := newConfidential(t, tc.clientID, tc.cred)
			resetCounts(t)
			res, err := cc.AcquireTokenForClient(ctx, []string{apiRead})
			if err != nil {
				t.Fatalf("AcquireTokenForClient = %v", err)
			}
			if res.TokenSource != domain.SourceIdentityProvider || res.AccessToken == "" || !slices.Contains(res.Scopes, apiRead) {
				t.Fatalf("result: source %s, scopes %v; want a token for %s from the provider", res.TokenSource, res.Scopes, apiRead)
			}
			hit, err := cc.AcquireTokenForClient(ctx, []string{apiRead})
			if err != nil || hit.TokenSource != domain.SourceCache || hit.AccessToken != res.AccessToken {
				t.Errorf("second call = %v, %v; want the cached token", hit.TokenSource, err)
			}
			c := counts(t)
			if n := c.ok("a", "client_credentials"); n != 1 {
				t.Errorf("client_credentials grants = %d; want 1", n)
			}
			if n := c.ok("a", "auth:"+tc.name); n != 1 {
				t.Errorf("requests authenticated with %s = %d; want 1 (counts %v)", tc.name, n, c["a"])
			}
		})
	}
}

func TestClientCredentials_wrongSecret_isInvalidClient(t *testing.T) {
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "conf-jwt"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &otherKey.PublicKey, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	otherCrt, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, clientID string
		cred           app.Credential
	}{
		{"basic", "conf-basic", app.ClientSecret("not-the-secret")},
		{"post", "conf-post", app.ClientSecretPost("not-the-secret")},
		// An assertion signed with a key pair the client did not register.
		{"private_key_jwt, another key", "conf-jwt", app.ClientCertificate([]*x509.Certificate{otherCrt}, otherKey)},
		{"secret to a private_key_jwt client", "conf-jwt", app.ClientSecret("basic-secret-0123456789")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newConfidential(t, tc.clientID, tc.cred).AcquireTokenForClient(ctxOf(t), []string{apiRead})
			if !errors.Is(err, domain.ErrInvalidClient) || errors.Is(err, domain.ErrInteractionRequired) {
				t.Fatalf("AcquireTokenForClient with a wrong secret = %v; want invalid_client, not interaction required", err)
			}
			if strings.Contains(err.Error(), "not-the-secret") || strings.Contains(err.Error(), "post-secret") {
				t.Errorf("the error names the secret: %v", err)
			}
		})
	}
}
