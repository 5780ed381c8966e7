package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
)

// loginOverHTTP runs the binary's login --no-browser with env and args and signs ada
// in at the URL it prints, returning the JSON result and that URL.
func loginOverHTTP(t *testing.T, env map[string]string, args ...string) (tokenJSON, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := binaryCommand(t, ctx, invocation{args: append([]string{"login", "--no-browser", "--output", "json"}, args...), env: env})
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	authURL := waitForURL(t, lines)
	agent := useragent.New()
	defer agent.Close()
	agent.SetUser(adaName, adaPassword)
	if err := agent.Open(ctx, authURL); err != nil {
		t.Fatalf("sign in at the login form: %v", err)
	}
	for range lines { // drain stderr so Wait returns
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login: %v; stdout %s", err, stdout.String())
	}
	var tok tokenJSON
	if err := json.Unmarshal(stdout.Bytes(), &tok); err != nil {
		t.Fatalf("login result %s: %v", stdout.String(), err)
	}
	return tok, authURL
}

// A user signed in at an Entra authority naming a tenant GUID is served from the cache
// on the next token call: the fake provider names that tenant in the ID token's tid, the
// client_info utid and the issuer, as real Entra does for a member of that tenant, so
// the cached tokens are found under the authority's tenant.
func TestBinary_token_GUIDTenantAuthorityIsACacheHit(t *testing.T) {
	for _, ci := range []bool{false, true} {
		for _, ropc := range []bool{false, true} {
			t.Run(fmt.Sprintf("client-info=%v,ropc=%v", ci, ropc), func(t *testing.T) { testGUIDTenantCacheHit(t, ci, ropc) })
		}
	}
}

func testGUIDTenantCacheHit(t *testing.T, clientInfo, ropc bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"--user", adaName + ":" + adaPassword, "--client", testClient}
	if clientInfo {
		args = append(args, "--client-info")
	}
	f := startFakeIdPBinary(t, ctx, args...)
	const tenant = "3c1f9d52-7b1e-4a57-9f0e-2d6a1b8c4e11"
	env := map[string]string{
		"HEXAUTH_CLIENT_ID": "hexauth-cli", "HEXAUTH_AUTHORITY": f.issuer + "/" + tenant, "HEXAUTH_AUTHORITY_KIND": "entra",
		"HEXAUTH_CACHE": t.TempDir() + "/tokens.db", "HEXAUTH_TIMEOUT": testTimeoutFlag, "HEXAUTH_SCOPES": testScope,
	}
	var tok tokenJSON
	if ropc {
		r := runBinary(t, invocation{args: []string{"ropc", "--username", adaName, "--password-stdin", "--output", "json"}, env: env, stdin: adaPassword + "\n"})
		tok = decodeToken(t, r)
	} else {
		tok, _ = loginOverHTTP(t, env)
	}
	if tok.IDTokenClaims["tid"] != tenant {
		t.Errorf("login: tid %v; want the authority's tenant %s", tok.IDTokenClaims["tid"], tenant)
	}
	if tok.IDTokenClaims["iss"] != f.issuer+"/"+tenant+"/v2.0" {
		t.Errorf("login: iss %v; want the authority's tenant's issuer", tok.IDTokenClaims["iss"])
	}
	if clientInfo {
		// client_info's utid names the home tenant: the account is a member's, not a
		// guest's with a home elsewhere.
		r := runBinary(t, invocation{args: []string{"accounts", "list", "--output", "json"}, env: env})
		var list []accountJSON
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 ||
			list[0].HomeAccountID != fmt.Sprint(tok.IDTokenClaims["oid"])+"."+tenant || list[0].Realm != tenant {
			t.Errorf("accounts list: %s (%v); want one account %v.%s in realm %s", r.stdout, err, tok.IDTokenClaims["oid"], tenant, tenant)
		}
	}
	for i := 0; i < 2; i++ {
		r := runBinary(t, invocation{args: []string{"token", "--output", "json"}, env: env})
		if r.code != exitOK {
			t.Fatalf("token: %s", r)
		}
		wantSource("cache")(t, r)
	}
}
