package msalgo_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

// document is an MSAL Go cache accessor (cache.ExportReplace) over one in-memory MSAL
// document: Replace loads it into MSAL before every operation, Export keeps what MSAL
// writes after every change. It is what a file- or database-backed accessor does,
// without the file.
type document struct {
	mu      sync.Mutex
	data    []byte
	exports int
}

func (d *document) Replace(_ context.Context, c cache.Unmarshaler, _ cache.ReplaceHints) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return c.Unmarshal(d.data)
}

func (d *document) Export(_ context.Context, c cache.Marshaler, _ cache.ExportHints) error {
	data, err := c.Marshal()
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.data, d.exports = data, d.exports+1
	return nil
}

func (d *document) bytes() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.data)
}

// newMSALGo returns an MSAL Go public client of the fixture's client on srv's Entra
// authority ("https://127.0.0.1:port/<tenant>", which MSAL Go reads as an AAD authority
// on a host of its own), with instance discovery off (the fake is not a Microsoft
// cloud), over rec, with doc as its cache.
func newMSALGo(t *testing.T, srv *idptest.Server, rec *recorder, doc *document) public.Client {
	t.Helper()
	c, err := public.New(clientID,
		public.WithAuthority(srv.EntraAuthority(tenantID)),
		public.WithHTTPClient(rec.client(srv)),
		public.WithInstanceDiscovery(false),
		public.WithCache(doc))
	if err != nil {
		t.Fatalf("public.New: %v", err)
	}
	return c
}

// TestRoundTrip_MSALGo: hexauth → MSAL Go v1.10.1 → hexauth, against a provider that
// rotates refresh tokens and detects their reuse.
func TestRoundTrip_MSALGo(t *testing.T) {
	ctx := context.Background()
	srv := newProvider(t)
	hexRec, msalRec := &recorder{}, &recorder{}
	pc := newHexauth(t, srv, hexRec)
	signedIn := signIn(t, pc)

	// 1. hexauth's export, loaded into MSAL Go: the account is listed and scope A is a
	// silent hit that sends nothing at all (no discovery, no token request).
	doc := &document{data: export(t, pc)}
	mc := newMSALGo(t, srv, msalRec, doc)
	before := srv.EndpointRequests(idptest.EndpointToken)
	accounts, err := mc.Accounts(ctx)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("MSAL Go Accounts() = %d accounts, %v; want hexauth's one account", len(accounts), err)
	}
	if accounts[0].PreferredUsername != username {
		t.Errorf("MSAL Go account username = %q; want %q", accounts[0].PreferredUsername, username)
	}
	hit, err := mc.AcquireTokenSilent(ctx, []string{scopeA}, public.WithSilentAccount(accounts[0]))
	if err != nil {
		t.Fatalf("MSAL Go AcquireTokenSilent(scope A) on hexauth's cache: %v", err)
	}
	if hit.AccessToken != string(signedIn.AccessToken) {
		t.Error("MSAL Go served another access token than the one hexauth cached")
	}
	if reqs, _ := msalRec.since(0, 0); len(reqs) != 0 {
		t.Errorf("MSAL Go's silent hit sent %v; want no request", reqs)
	}
	if got := srv.EndpointRequests(idptest.EndpointToken); got != before {
		t.Errorf("token endpoint requests during MSAL Go's silent hit: %d; want 0", got-before)
	}

	// 2. MSAL Go refreshes for scope B with hexauth's refresh token; the provider rotates
	// it and revokes the one presented.
	refreshed, err := mc.AcquireTokenSilent(ctx, []string{scopeB}, public.WithSilentAccount(accounts[0]))
	if err != nil {
		t.Fatalf("MSAL Go refresh (scope B) with hexauth's refresh token: %v", err)
	}
	_, tokens := msalRec.since(0, 0)
	if len(tokens) != 1 || tokens[0].grant != "refresh_token" || tokens[0].refreshToken != string(signedIn.RefreshToken) {
		t.Fatalf("MSAL Go sent %v; want one refresh_token grant presenting hexauth's refresh token", grants(tokens))
	}
	if !hasScope(tokens[0].scope, scopeB) {
		t.Errorf("MSAL Go's refresh asked for scope %q; want %s in it", tokens[0].scope, scopeB)
	}
	rotated := rotatedRefreshToken(t, doc.bytes(), string(signedIn.RefreshToken))
	if n := refreshTokenCount(t, doc.bytes()); n != 1 {
		t.Errorf("MSAL Go's document holds %d refresh tokens after its refresh; want 1: its rotation replaces the entry hexauth exported", n)
	}

	// MSAL Go refreshes again (a new MSAL Go client on the same document, as a new
	// process would, forced by a claims challenge): it must present its rotated token.
	// MSAL Go picks among matching refresh tokens in map order: had the spent token
	// stayed beside the rotation (hexauth once exported under MSAL Python's key), it
	// would present it on most runs.
	n, m := msalRec.mark()
	mc2 := newMSALGo(t, srv, msalRec, doc)
	again, err := mc2.AcquireTokenSilent(ctx, []string{scopeA}, public.WithSilentAccount(accounts[0]), public.WithClaims(`{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`))
	if err != nil {
		t.Fatalf("MSAL Go's second refresh: %v", err)
	}
	if again.Metadata.TokenSource != public.TokenSourceIdentityProvider {
		t.Errorf("MSAL Go's second refresh: token source %v; want the provider", again.Metadata.TokenSource)
	}
	_, tokens = msalRec.since(n, m)
	if len(tokens) != 1 || tokens[0].refreshToken != rotated {
		t.Fatalf("MSAL Go's second refresh sent %v, presenting its rotated token: %v; want one grant with it", grants(tokens), len(tokens) == 1 && tokens[0].refreshToken == rotated)
	}
	rotated = rotatedRefreshToken(t, doc.bytes(), string(signedIn.RefreshToken))

	// 3. MSAL Go's export, imported back into hexauth, whose store still holds the
	// spent refresh token.
	finishInHexauth(t, pc, hexRec, doc.bytes(), string(signedIn.RefreshToken), rotated, refreshed.AccessToken)
}

// rotatedRefreshToken returns the one refresh token of an MSAL document other than
// spent, failing the test when there is none or several. MSAL Go files its rotation
// under its own key ("…-refreshtoken-<client>") and leaves the entry hexauth exported
// (spent) beside it.
func rotatedRefreshToken(t *testing.T, doc []byte, spent string) string {
	t.Helper()
	var d struct {
		RefreshToken map[string]struct {
			Secret string `json:"secret"`
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("MSAL document: %v", err)
	}
	var fresh []string
	for _, rt := range d.RefreshToken {
		if rt.Secret != spent {
			fresh = append(fresh, rt.Secret)
		}
	}
	if len(fresh) != 1 {
		t.Fatalf("MSAL document holds %d refresh tokens besides the spent one; want 1", len(fresh))
	}
	return fresh[0]
}

// refreshTokenCount returns how many refresh tokens an MSAL document holds.
func refreshTokenCount(t *testing.T, doc []byte) int {
	t.Helper()
	var d struct {
		RefreshToken map[string]json.RawMessage
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("MSAL document: %v", err)
	}
	return len(d.RefreshToken)
}
