package idptest_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

func TestServer_TLS(t *testing.T) {
	srv := idptest.NewTestServer(t, idptest.Config{TLS: true})
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") || !strings.HasPrefix(srv.EntraAuthority("t"), "https://") {
		t.Fatalf("URL() = %q; want https on 127.0.0.1", srv.URL())
	}
	get := func(c *http.Client) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL()+"/.well-known/openid-configuration", nil)
		return c.Do(req)
	}
	resp, err := get(srv.Client())
	if err != nil {
		t.Fatalf("discovery through Client(): %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery through Client(): %d; want 200", resp.StatusCode)
	}
	// The certificate is the server's own: a client that does not trust it is refused.
	if resp, err := get(&http.Client{Transport: &http.Transport{}}); err == nil {
		_ = resp.Body.Close()
		t.Fatal("a client with the system roots reached the server; want a certificate error")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CertificatePEM()) || srv.Certificate() == nil {
		t.Fatal("CertificatePEM() is no PEM certificate")
	}
	if _, err := srv.Certificate().Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Fatalf("the certificate does not verify for 127.0.0.1 against its own PEM: %v", err)
	}
}

func TestServer_noTLS(t *testing.T) {
	srv := idptest.NewTestServer(t, idptest.Config{})
	if !strings.HasPrefix(srv.URL(), "http://") || srv.Certificate() != nil || srv.CertificatePEM() != nil {
		t.Fatalf("a server without Config.TLS: URL %q, certificate %v; want http and none", srv.URL(), srv.Certificate() != nil)
	}
}

// On port 443 the URL has no port, as clients write the origin (MSAL Python keys its
// cache by the host alone), and the certificate names the address listened on.
func TestServer_TLS_defaultPort(t *testing.T) {
	srv, err := idptest.NewServer(idptest.Config{TLS: true, Addr: "127.0.2.43:443"})
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EADDRINUSE) {
		t.Skipf("cannot listen on 127.0.2.43:443: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.URL() != "https://127.0.2.43" {
		t.Errorf("URL() = %q; want https://127.0.2.43", srv.URL())
	}
	resp, err := srv.Client().Get(srv.EntraAuthority("common") + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery on port 443: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery on port 443: %d; want 200", resp.StatusCode)
	}
}
