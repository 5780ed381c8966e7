package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

const (
	certClient = "cert-app"
	appScope   = "api://orders/.default"
)

// newClientCert returns a self-signed certificate and its key, as PEM.
func newClientCert(t *testing.T) (*x509.Certificate, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: certClient},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// startAppIdP starts a provider with the confidential clients web-app (a secret) and
// cert-app (cert).
func startAppIdP(t *testing.T, cert *x509.Certificate) *idptest.Server {
	t.Helper()
	return idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Clients: []idptest.Client{{ID: webClient, Secret: webSecret}, {ID: certClient, Certificate: cert}},
	}})
}

func TestTokenApp_run_everyClientAuthenticationIsCached(t *testing.T) {
	cert, certPEM, keyPEM := newClientCert(t)
	srv := startAppIdP(t, cert)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secretFile := write("secret.txt", []byte(webSecret+"\n"))
	certFile, keyFile := write("cert.pem", certPEM), write("key.pem", keyPEM)
	both := write("both.pem", append(append([]byte{}, certPEM...), keyPEM...))
	base := map[string]string{"HEXAUTH_AUTHORITY": srv.Issuer(), "HEXAUTH_SCOPES": appScope, "HEXAUTH_TIMEOUT": testTimeoutFlag}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"secret from the environment", []string{"--client-id", webClient}, with(base, "HEXAUTH_CLIENT_SECRET", webSecret)},
		{"secret file, client_secret_post", []string{"--client-id", webClient, "--client-secret-file", secretFile, "--client-auth", "client_secret_post"}, base},
		{"certificate and key files", []string{"--client-id", certClient, "--client-certificate", certFile, "--client-key", keyFile}, base},
		{"one PEM with both", []string{"--client-id", certClient, "--client-certificate", both}, base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetCounts()
			env := with(tc.env, "HEXAUTH_CACHE", filepath.Join(t.TempDir(), "tokens.db"))
			args := append([]string{"token", "--app", "-o", "json"}, tc.args...)
			first := runBinary(t, invocation{args: args, env: env})
			if first.code != exitOK {
				t.Fatalf("token --app: %s", first)
			}
			tok := decodeToken(t, first)
			if tok.AccessToken == "" || tok.TokenSource != "identity_provider" || tok.IDTokenClaims != nil {
				t.Fatalf("got %+v; want an app token from the provider, with no ID token", tok)
			}
			second := runBinary(t, invocation{args: args, env: env})
			if second.code != exitOK || decodeToken(t, second).TokenSource != "cache" || decodeToken(t, second).AccessToken != tok.AccessToken {
				t.Fatalf("second token --app: got %s; want the same token from the cache", second)
			}
			if n := srv.Requests(domain.GrantClientCredentials); n != 1 {
				t.Fatalf("client_credentials grants = %d; want 1 (the second call served from the cache)", n)
			}
			if strings.Contains(first.stderr+second.stderr, webSecret) || strings.Contains(first.stderr, "not cached") {
				t.Fatalf("stderr leaks the secret or warns about caching:\n%s", first)
			}
		})
	}
}

func TestTokenApp_run_refusals(t *testing.T) {
	cert, certPEM, _ := newClientCert(t)
	_, _, otherKey := newClientCert(t)
	srv := startAppIdP(t, cert)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	keyFile := filepath.Join(dir, "other-key.pem")
	encFile := filepath.Join(dir, "enc.pem")
	_ = os.WriteFile(certFile, certPEM, 0o600)
	_ = os.WriteFile(keyFile, otherKey, 0o600)
	_ = os.WriteFile(encFile, append(append([]byte{}, certPEM...), pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})...), 0o600)
	base := map[string]string{"HEXAUTH_AUTHORITY": srv.Issuer(), "HEXAUTH_SCOPES": appScope, "HEXAUTH_CACHE": "memory:", "HEXAUTH_TIMEOUT": testTimeoutFlag}
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     string
	}{
		{"a public client", []string{"--client-id", testClient}, base, exitUsage, "token --app needs a confidential client"},
		{"the key of another certificate", []string{"--client-id", certClient, "--client-certificate", certFile, "--client-key", keyFile}, base, exitUsage, "not the key of the certificate"},
		{"an encrypted key", []string{"--client-id", certClient, "--client-certificate", encFile}, base, exitUsage, "the private key is encrypted"},
		{"no key at all", []string{"--client-id", certClient, "--client-certificate", certFile}, base, exitUsage, "no PEM private key block"},
		{"a secret and a certificate", []string{"--client-id", webClient, "--client-certificate", certFile}, with(base, "HEXAUTH_CLIENT_SECRET", webSecret), exitUsage, "not both"},
		{"post without a secret", []string{"--client-id", testClient, "--client-auth", "client_secret_post"}, base, exitUsage, "needs a confidential client"},
		{"an unknown method", []string{"--client-id", webClient, "--client-auth", "tls_client_auth"}, with(base, "HEXAUTH_CLIENT_SECRET", webSecret), exitUsage, "want client_secret_basic"},
		{"no scopes", []string{"--client-id", webClient, "--scopes", ""}, with(base, "HEXAUTH_CLIENT_SECRET", webSecret, "HEXAUTH_SCOPES", ""), exitUsage, "an app token is for an API"},
		{"a wrong secret", []string{"--client-id", webClient}, with(base, "HEXAUTH_CLIENT_SECRET", "wrong-secret"), exitRefused, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, invocation{args: append([]string{"token", "--app"}, tc.args...), env: tc.env})
			if r.code != tc.wantCode || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "wrong-secret") {
				t.Fatalf("got %s; want exit %d and %q on stderr", r, tc.wantCode, tc.want)
			}
		})
	}
}

func TestClientCredential_methodFollowsClientAuth(t *testing.T) {
	for _, tc := range []struct {
		auth string
		want app.Credential
	}{
		{authAuto, app.ClientSecret("s")},
		{authBasic, app.ClientSecret("s")},
		{authPost, app.ClientSecretPost("s")},
	} {
		got, ok, err := clientCredential(settings{clientAuth: tc.auth}, "s")
		if err != nil || !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("--client-auth %q: got %v, %t, %v; want %v", tc.auth, got, ok, err, tc.want)
		}
	}
	if reflect.DeepEqual(app.ClientSecret("s"), app.ClientSecretPost("s")) {
		t.Fatal("ClientSecret and ClientSecretPost are equal: the test above proves nothing")
	}
}

var _ crypto.Signer = (*ecdsa.PrivateKey)(nil)
