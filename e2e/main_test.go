//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The provider the suite runs against, set by TestMain.
var (
	base       string            // http://127.0.0.1:PORT
	issuers    map[string]string // realm ("a", "b") → issuer URL
	hexauth    string            // path of the hexauth binary built for the suite
	clientKey  *ecdsa.PrivateKey // the private_key_jwt client's key
	clientJWKS string            // the file of its public JWK Set, for the provider
	clientCrt  *x509.Certificate // its self-signed certificate
)

// TestMain builds the hexauth binary, starts the provider on a loopback port and runs
// the suite. A provider that cannot start fails the run: a skipped suite would prove
// nothing while looking green.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hexauth-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	hexauth = filepath.Join(dir, "hexauth")
	build := exec.Command("go", "build", "-o", hexauth, "github.com/hexauth/hexauth/cmd/hexauth")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build ./cmd/hexauth:", err)
		return 1
	}

	jwks := filepath.Join(dir, "client-jwks.json")
	if err := makeClientKey(jwks); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: client key:", err)
		return 1
	}

	clientJWKS = jwks
	p, err := startProvider(jwks, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: the provider did not start:", err)
		return 1
	}
	defer p.stop()
	base, issuers = p.base, p.issuers
	return m.Run()
}

// provider is a running provider/server.mjs.
type provider struct {
	base    string
	issuers map[string]string
	stop    func()
}

// startProvider runs provider/server.mjs on port (0: a free one) and reads the address
// it prints.
func startProvider(jwks string, port int) (*provider, error) {
	if _, err := os.Stat(filepath.Join("node_modules", "oidc-provider")); err != nil {
		return nil, fmt.Errorf("node_modules/oidc-provider is missing: run npm ci in e2e/ (%v)", err)
	}
	cmd := exec.Command("node", "provider/server.mjs", "--client-jwks", jwks, "--port", fmt.Sprint(port))
	cmd.Stderr = &providerLog{}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	type banner struct {
		Base    string            `json:"base"`
		Issuers map[string]string `json:"issuers"`
	}
	got := make(chan banner, 1)
	go func() {
		var b banner
		if line, err := bufio.NewReader(out).ReadString('\n'); err == nil {
			_ = json.Unmarshal([]byte(line), &b)
		}
		got <- b
	}()
	var b banner
	select {
	case b = <-got:
		if b.Base == "" {
			stop()
			return nil, fmt.Errorf("no address printed; its stderr: %s", cmd.Stderr)
		}
	case <-time.After(30 * time.Second):
		stop()
		return nil, fmt.Errorf("no address printed in 30 s; its stderr: %s", cmd.Stderr)
	}
	// The provider answers discovery before the suite starts.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.Issuers["a"]+"/.well-known/openid-configuration", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		stop()
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		stop()
		return nil, fmt.Errorf("discovery answered %s", resp.Status)
	}
	return &provider{base: b.Base, issuers: b.Issuers, stop: stop}, nil
}

// providerLog keeps the provider's stderr for a failure message, bounded.
type providerLog struct{ b strings.Builder }

func (l *providerLog) Write(p []byte) (int, error) {
	if l.b.Len() < 64<<10 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *providerLog) String() string { return l.b.String() }

// makeClientKey makes the private_key_jwt client's P-256 key and self-signed certificate,
// and writes the public key as a JWK Set for the provider's client registration.
func makeClientKey(path string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "conf-jwt"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	crt, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	clientKey, clientCrt = key, crt
	enc := base64.RawURLEncoding
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return err
	}
	raw := pub.Bytes() // 0x04 || X || Y
	jwk := map[string]any{"kty": "EC", "crv": "P-256", "use": "sig", "kid": "conf-jwt-1",
		"x": enc.EncodeToString(raw[1:33]), "y": enc.EncodeToString(raw[33:65]),
		"x5c": []string{base64.StdEncoding.EncodeToString(der)}}
	b, err := json.Marshal(map[string]any{"keys": []any{jwk}})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
