package msalgo_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// python is Debian's interpreter, which python3-msal installs into; a python3 earlier
// on PATH (pyenv) lacks the package.
const python = "/usr/bin/python3"

// requireEnv, when set (.ci/run sets it once python3-msal is installed), turns the
// skips of the MSAL Python round trip into failures.
const requireEnv = "HEXAUTH_REQUIRE_MSAL_PYTHON"

// skipOrFail skips the test with why, or fails it when requireEnv is set.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(requireEnv) != "" {
		t.Fatalf("%s (%s is set: the round trip must run)", why, requireEnv)
	}
	t.Skip(why)
}

// needMSALPython skips (see skipOrFail) when MSAL Python cannot be imported.
func needMSALPython(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import msal; print(msal.__version__)").CombinedOutput()
	if err != nil {
		skipOrFail(t, "MSAL Python is not installed: "+python+" cannot import msal (install Debian's python3-msal: apt-get install -y python3-msal; .ci/run does); the MSAL Python round trip did not run")
	}
	t.Logf("MSAL Python %s", strings.TrimSpace(string(out)))
}

// pythonProvider starts the fixture's provider on port 443 of a random 127.x.y.z: MSAL
// Python keys its cache by the authority's host without the port (MSAL Go and hexauth
// keep it), so only an authority on the default port reads the same entries in both.
func pythonProvider(t *testing.T) *idptest.Server {
	t.Helper()
	var b [3]byte
	_, _ = rand.Read(b[:])
	addr := fmt.Sprintf("127.%d.%d.%d:443", b[0]|1, b[1], b[2]|1) // never 127.0.0.x
	srv, err := idptest.NewServer(providerConfig(addr))
	if errors.Is(err, syscall.EACCES) {
		skipOrFail(t, "cannot listen on "+addr+" (port 443 needs root or net.ipv4.ip_unprivileged_port_start): MSAL Python drops the port from its cache keys; the MSAL Python round trip did not run")
	}
	if err != nil {
		t.Fatalf("idptest.NewServer(%s): %v", addr, err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// pythonResult is what testdata/msal_roundtrip.py prints.
type pythonResult struct {
	Accounts          []string `json:"accounts"`
	Error             string   `json:"error"`
	ErrorDescription  string   `json:"error_description"`
	AccessTokenSHA256 string   `json:"access_token_sha256"`
}

// silentInPython runs one MSAL Python silent call for scope on the document in
// cacheFile (which MSAL Python rewrites when it refreshed).
func silentInPython(t *testing.T, srv *idptest.Server, caFile, cacheFile, scope string) pythonResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "msal_roundtrip.py"),
		srv.EntraAuthority(tenantID), clientID, caFile, cacheFile, username, scope)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("MSAL Python (silent %s): %v\n%s", scope, err, stderr.String())
	}
	var res pythonResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("MSAL Python printed %q: %v", out, err)
	}
	return res
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestRoundTrip_MSALPython: hexauth → MSAL Python (Debian's python3-msal) → hexauth,
// against a provider that rotates refresh tokens and detects their reuse.
func TestRoundTrip_MSALPython(t *testing.T) {
	needMSALPython(t)
	srv := pythonProvider(t)
	dir := t.TempDir()
	caFile, cacheFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "msal_token_cache.json")
	if err := os.WriteFile(caFile, srv.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	hexRec := &recorder{}
	pc := newHexauth(t, srv, hexRec)
	signedIn := signIn(t, pc)
	if err := os.WriteFile(cacheFile, export(t, pc), 0o600); err != nil {
		t.Fatal(err)
	}

	// 1. A silent hit in MSAL Python on hexauth's export: no token request (MSAL Python
	// 1.21 fetches the discovery document when it builds the application, so only the
	// token endpoint is asserted untouched).
	before := srv.EndpointRequests(idptest.EndpointToken)
	hit := silentInPython(t, srv, caFile, cacheFile, scopeA)
	if hit.Error != "" || len(hit.Accounts) != 1 || hit.Accounts[0] != username {
		t.Fatalf("MSAL Python on hexauth's cache: accounts %v, error %q %q; want %s's silent hit", hit.Accounts, hit.Error, hit.ErrorDescription, username)
	}
	if hit.AccessTokenSHA256 != sha256Hex(string(signedIn.AccessToken)) {
		t.Error("MSAL Python served another access token than the one hexauth cached")
	}
	if got := srv.EndpointRequests(idptest.EndpointToken); got != before {
		t.Errorf("token endpoint requests during MSAL Python's silent hit: %d; want 0", got-before)
	}

	// 2. MSAL Python refreshes for scope B with hexauth's refresh token; the provider
	// rotates it and revokes the one presented.
	refreshes := srv.Requests(domain.GrantRefreshToken)
	refreshed := silentInPython(t, srv, caFile, cacheFile, scopeB)
	if refreshed.Error != "" {
		t.Fatalf("MSAL Python refresh (scope B) with hexauth's refresh token: %s %s", refreshed.Error, refreshed.ErrorDescription)
	}
	if got := srv.Requests(domain.GrantRefreshToken) - refreshes; got != 1 {
		t.Fatalf("MSAL Python sent %d refresh_token grants; want 1", got)
	}
	doc, err := os.ReadFile(cacheFile)
	if err != nil {
		t.Fatal(err)
	}
	rotated := rotatedRefreshToken(t, doc, string(signedIn.RefreshToken))
	tokenB := accessTokenFor(t, doc, scopeB)
	if sha256Hex(tokenB) != refreshed.AccessTokenSHA256 {
		t.Fatal("MSAL Python's cache does not hold the access token it returned for scope B")
	}

	// 3. MSAL Python's document, imported back into hexauth, whose store still holds
	// the spent refresh token.
	finishInHexauth(t, pc, hexRec, doc, string(signedIn.RefreshToken), rotated, tokenB)
}

// accessTokenFor returns the secret of the one access token of an MSAL document whose
// target holds scope.
func accessTokenFor(t *testing.T, doc []byte, scope string) string {
	t.Helper()
	var d struct {
		AccessToken map[string]struct {
			Secret string `json:"secret"`
			Target string `json:"target"`
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("MSAL document: %v", err)
	}
	var found []string
	for _, at := range d.AccessToken {
		if hasScope(at.Target, scope) {
			found = append(found, at.Secret)
		}
	}
	if len(found) != 1 {
		t.Fatalf("MSAL document holds %d access tokens for %s; want 1", len(found), scope)
	}
	return found[0]
}
