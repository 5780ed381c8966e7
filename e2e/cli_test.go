//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// cliEnv is the environment of hexauth processes of one test: its client, issuer,
// scopes and SQLite cache, and a home directory of its own.
func cliEnv(t *testing.T, realm, clientID string) []string {
	home := t.TempDir()
	return []string{
		"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, "cache"), "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"PATH=" + os.Getenv("PATH"),
		"HEXAUTH_CLIENT_ID=" + clientID, "HEXAUTH_AUTHORITY=" + issuers[realm], "HEXAUTH_SCOPES=" + apiRead,
		"HEXAUTH_CACHE=" + filepath.Join(home, "tokens.db"),
	}
}

type cliResult struct {
	stdout, stderr string
	code           int
}

func hexauthCmd(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, hexauth, args...)
	cmd.Env = env
	return cmd
}

// cli runs hexauth to completion.
func cli(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	r, err := runCLI(ctxOf(t), env, args...)
	if err != nil {
		t.Fatalf("hexauth %v: %v", args, err)
	}
	return r
}

// runCLI runs hexauth to completion; the error says it could not run. Safe to call
// from any goroutine.
func runCLI(ctx context.Context, env []string, args ...string) (cliResult, error) {
	var out, errb bytes.Buffer
	cmd := hexauthCmd(ctx, env, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			return cliResult{}, err
		}
		code = ee.ExitCode()
	}
	return cliResult{out.String(), errb.String(), code}, nil
}

// cliLogin runs hexauth login --no-browser, reads the sign-in URL it prints on stderr,
// and signs in through the provider's pages with a browser that follows the final
// redirect to hexauth's loopback listener, as a user's browser would.
func cliLogin(t *testing.T, env []string, realm, user string) tokenOut {
	t.Helper()
	cmd := hexauthCmd(ctxOf(t), env, "login", "--no-browser", "--prompt", "consent", "--output", "json", "--timeout", "1m")
	var out bytes.Buffer
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = &out
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var errText strings.Builder // written by the reader below until done closes
	urlc := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			errText.WriteString(line + "\n")
			if !sent && strings.HasPrefix(line, issuers[realm]+"/auth?") {
				urlc <- line
				sent = true
			}
		}
		if !sent {
			close(urlc)
		}
	}()
	var authURL string
	select {
	case authURL = <-urlc:
	case <-time.After(30 * time.Second):
	}
	if authURL == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("hexauth login printed no sign-in URL")
	}
	p := newBrowser(t, "").signIn(authURL, user, passwords[realm][user])
	err = cmd.Wait()
	<-done
	if err != nil {
		t.Fatalf("hexauth login: %v; the browser ended at %s; stderr:\n%s", err, p, errText.String())
	}
	var res tokenOut
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("hexauth login output %q: %v", out.String(), err)
	}
	return res
}

// tokenOut is the part of hexauth's --output json result the suite reads.
type tokenOut struct {
	AccessToken string `json:"access_token"`
	TokenSource string `json:"token_source"`
	Scope       string `json:"scope"`
}

func tokenJSON(t *testing.T, r cliResult) tokenOut {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("hexauth exited %d: %s", r.code, r.stderr)
	}
	var v tokenOut
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("output %q: %v", r.stdout, err)
	}
	return v
}

// TestCLI_login_token_accounts_exportImport_remove drives the hexauth binary through a
// user's session against the provider.
func TestCLI_login_token_accounts_exportImport_remove(t *testing.T) {
	env := cliEnv(t, "a", "public-pkce")
	login := cliLogin(t, env, "a", alice)
	if login.TokenSource != "identity_provider" || login.AccessToken == "" {
		t.Fatalf("login = %+v; want a token from the provider", login)
	}
	if tok := tokenJSON(t, cli(t, env, "token", "--output", "json")); tok.AccessToken != login.AccessToken || tok.TokenSource != "cache" {
		t.Errorf("token = %s; want login's token from the cache", tok.TokenSource)
	}
	if r := cli(t, env, "token"); r.code != 0 || strings.TrimSpace(r.stdout) != login.AccessToken {
		t.Errorf("token (text) exited %d; want the access token alone on stdout", r.code)
	}

	// A scope alice never granted: the provider refuses the refresh with invalid_scope,
	// and the script is told to sign in again (exit 3), not that it is refused (4).
	if r := cli(t, env, "token", "--scopes", "api:write"); r.code != 3 {
		t.Errorf("token --scopes api:write exited %d; want 3 (sign in with that scope): %s", r.code, r.stderr)
	}
	// Diagnostics on stderr never carry a token.
	r := cli(t, env, "token", "--force-refresh", "--verbose", "--output", "json")
	refreshed := tokenJSON(t, r)
	if refreshed.TokenSource != "identity_provider" || strings.Contains(r.stderr, refreshed.AccessToken) || strings.Contains(r.stderr, login.AccessToken) {
		t.Errorf("token --force-refresh --verbose: source %s; stderr must hold no token", refreshed.TokenSource)
	}
	if !strings.Contains(r.stderr, "refresh") {
		t.Errorf("--verbose printed no diagnostics: %q", r.stderr)
	}

	r = cli(t, env, "accounts", "list", "--output", "json")
	var accounts []struct {
		HomeAccountID string `json:"home_account_id"`
		Realm         string `json:"realm"`
		Username      string `json:"username"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &accounts); err != nil || len(accounts) != 1 ||
		accounts[0].HomeAccountID != aliceSub || accounts[0].Realm != "realms/a" || accounts[0].Username != alice {
		t.Fatalf("accounts list = %s (%v); want alice of realms/a", r.stdout, err)
	}

	// Export, import into another cache, and the token is served from there.
	file := filepath.Join(t.TempDir(), "cache.json")
	if r := cli(t, env, "cache", "export", "--file", file); r.code != 0 {
		t.Fatalf("cache export exited %d: %s", r.code, r.stderr)
	}
	other := cliEnv(t, "a", "public-pkce")
	if r := cli(t, other, "cache", "import", file); r.code != 0 {
		t.Fatalf("cache import exited %d: %s", r.code, r.stderr)
	}
	if tok := tokenJSON(t, cli(t, other, "token", "--output", "json")); tok.AccessToken != refreshed.AccessToken || tok.TokenSource != "cache" {
		t.Errorf("token after import = %s; want the exported token from the cache", tok.TokenSource)
	}
	// The imported refresh token works at the provider.
	if tok := tokenJSON(t, cli(t, other, "token", "--force-refresh", "--output", "json")); tok.TokenSource != "identity_provider" {
		t.Errorf("token --force-refresh after import = %s; want a refresh", tok.TokenSource)
	}

	if r := cli(t, env, "accounts", "remove", "--username", alice); r.code != 0 {
		t.Fatalf("accounts remove exited %d: %s", r.code, r.stderr)
	}
	if r := cli(t, env, "token"); r.code != 3 {
		t.Errorf("token after remove exited %d; want 3 (sign in again)", r.code)
	}
}

// TestCLI_stampede_oneRefresh: 20 hexauth token processes start together on one SQLite
// cache whose access token has expired; the provider sees exactly one refresh grant,
// and every process prints the token it issued.
func TestCLI_stampede_oneRefresh(t *testing.T) {
	env := cliEnv(t, "a", "public-short")
	login := cliLogin(t, env, "a", alice)
	// public-short's first access token lives 2 s; the refreshed ones an hour.
	time.Sleep(3 * time.Second)
	resetCounts(t)

	const n = 20
	ctx := ctxOf(t)
	results := make([]cliResult, n)
	runErrs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], runErrs[i] = runCLI(ctx, env, "token", "--output", "json")
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range runErrs {
		if err != nil {
			t.Fatalf("process %d did not run: %v", i, err)
		}
	}

	tokens := map[string]int{}
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("process %d exited %d: %s", i, r.code, r.stderr)
			continue
		}
		tokens[tokenJSON(t, r).AccessToken]++
	}
	if len(tokens) != 1 {
		t.Errorf("%d different access tokens printed; want 1", len(tokens))
	}
	if tokens[login.AccessToken] != 0 {
		t.Errorf("the expired access token was printed")
	}
	if c := counts(t); c.ok("a", "refresh_token") != 1 || c.error("a", "refresh_token") != 0 {
		t.Errorf("refresh grants: %d good, %d refused; want exactly 1 good", c.ok("a", "refresh_token"), c.error("a", "refresh_token"))
	}
}

// TestCLI_refresh_cachesUnderTheAccount: hexauth refresh redeems a refresh token obtained
// elsewhere; the provider's rotated token and ID token land in the cache, so token finds
// them, and the spent token presented again exits 3.
func TestCLI_refresh_cachesUnderTheAccount(t *testing.T) {
	pc := newPublic(t, "a", "public-pkce", "memory:", 0)
	elsewhere := signIn(t, pc, "a", alice, apiRead)
	env := cliEnv(t, "a", "public-pkce")
	withRT := append(append([]string{}, env...), "HEXAUTH_REFRESH_TOKEN="+string(elsewhere.RefreshToken))
	r := cli(t, withRT, "refresh", "--output", "json")
	if tok := tokenJSON(t, r); tok.TokenSource != "identity_provider" {
		t.Fatalf("refresh: source %s; want the provider", tok.TokenSource)
	}
	if strings.Contains(r.stdout+r.stderr, string(elsewhere.RefreshToken)) {
		t.Errorf("refresh printed the refresh token it redeemed")
	}
	if tok := tokenJSON(t, cli(t, env, "token", "--output", "json")); tok.TokenSource != "cache" {
		t.Errorf("token after refresh: source %s; want the cache", tok.TokenSource)
	}
	if tok := tokenJSON(t, cli(t, env, "token", "--force-refresh", "--output", "json")); tok.TokenSource != "identity_provider" {
		t.Errorf("token --force-refresh after refresh: source %s; want the rotated refresh token redeemed", tok.TokenSource)
	}
	if r := cli(t, withRT, "refresh"); r.code != 3 {
		t.Errorf("refresh with the spent token exited %d; want 3", r.code)
	}
}

// TestCLI_twoIssuers_oneCache: alice signs in through the binary at both realms into one
// cache. accounts list at each issuer shows only its own account; without an authority
// it shows both records, told apart by realm; token at each issuer returns that issuer's
// token; removal at one leaves the other.
func TestCLI_twoIssuers_oneCache(t *testing.T) {
	envA := cliEnv(t, "a", "public-pkce")
	envB := append(append([]string{}, envA...), "HEXAUTH_AUTHORITY="+issuers["b"]) // the later value wins
	cliLogin(t, envA, "a", alice)
	cliLogin(t, envB, "b", alice)

	realms := func(env []string, args ...string) []string {
		t.Helper()
		r := cli(t, env, append([]string{"accounts", "list", "--output", "json"}, args...)...)
		var list []struct {
			HomeAccountID string `json:"home_account_id"`
			Realm         string `json:"realm"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
			t.Fatalf("accounts list %v: %q: %v", args, r.stdout, err)
		}
		var out []string
		for _, a := range list {
			out = append(out, a.HomeAccountID+"@"+a.Realm)
		}
		return out
	}
	if got := strings.Join(realms(envA), ","); got != aliceSub+"@realms/a" {
		t.Errorf("accounts list at a = %s; want alice of realms/a only", got)
	}
	if got := strings.Join(realms(envB), ","); got != aliceSub+"@realms/b" {
		t.Errorf("accounts list at b = %s; want alice of realms/b only", got)
	}
	noAuthority := append(append([]string{}, envA...), "HEXAUTH_AUTHORITY=", "HEXAUTH_CLIENT_ID=")
	if got := strings.Join(realms(noAuthority), ","); !strings.Contains(got, aliceSub+"@realms/a") || !strings.Contains(got, aliceSub+"@realms/b") {
		t.Errorf("accounts list without an authority = %s; want both records", got)
	}
	ta := tokenJSON(t, cli(t, envA, "token", "--output", "json"))
	tb := tokenJSON(t, cli(t, envB, "token", "--output", "json"))
	if jwtIssuer(t, ta.AccessToken) != issuers["a"] || jwtIssuer(t, tb.AccessToken) != issuers["b"] {
		t.Errorf("token at a and b: issuers %s and %s; want each its own", jwtIssuer(t, ta.AccessToken), jwtIssuer(t, tb.AccessToken))
	}
	if r := cli(t, envA, "accounts", "remove", "--username", alice); r.code != 0 {
		t.Fatalf("accounts remove at a exited %d: %s", r.code, r.stderr)
	}
	if r := cli(t, envA, "token"); r.code != 3 {
		t.Errorf("token at a after removal exited %d; want 3", r.code)
	}
	if tok := tokenJSON(t, cli(t, envB, "token", "--output", "json")); tok.AccessToken != tb.AccessToken {
		t.Errorf("token at b after removal at a changed or failed")
	}
}
