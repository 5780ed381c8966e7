package azcore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/hexauth/hexauth/app"
	hexaz "github.com/hexauth/hexauth/contrib/azcore"
	"github.com/hexauth/hexauth/domain"
)

// xmsCC is the capabilities member every request of a CAE client carries.
const xmsCC = `"xms_cc":{"values":["cp1"]}`

func mustPublic(t *testing.T, f *fixture, opts *hexaz.Options) *hexaz.Credential {
	t.Helper()
	cred, err := hexaz.NewPublic(f.caePC, f.plainPC, f.caeSignIn.Account, opts)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func mustConfidential(t *testing.T, f *fixture, opts *hexaz.Options) *hexaz.Credential {
	t.Helper()
	cred, err := hexaz.NewConfidential(f.caeCC, f.plainCC, opts)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// Through a real azcore pipeline: the CAE client's cached token is attached; once the API
// revokes it, its CAE challenge earns one GetToken with the decoded claims, which
// hexauth answers from the provider (claims and capability merged), and the request is
// retried once with the new token.
func TestCredential_pipeline_answersACAEChallenge(t *testing.T) {
	f := newFixture(t)
	a := newAPI(t)
	cred := mustPublic(t, f, nil)

	if status := a.get(t, cred); status != 200 {
		t.Fatalf("first call: status %d; want 200", status)
	}
	first := "Bearer " + string(f.caeSignIn.AccessToken)
	if got := a.requests(); len(got) != 1 || got[0] != first {
		t.Fatalf("the API saw %d requests; want 1 with the CAE client's cached token (the pipeline asks with EnableCAE)", len(got))
	}
	if n := len(f.caeRec.sent()); n != 1 {
		t.Fatalf("CAE client sent %d token requests; want only the sign-in (the first call is a cache hit)", n)
	}

	a.revoke(string(f.caeSignIn.AccessToken))
	if status := a.get(t, cred); status != 200 {
		t.Fatalf("after revocation: status %d; want 200 after the challenge was answered", status)
	}
	got := a.requests()
	if len(got) != 3 || got[1] != first || got[2] == first || got[2] == "Bearer "+string(f.plainSignIn.AccessToken) {
		t.Fatalf("the API saw %d requests; want 3: the revoked token, then one retry with a new CAE token", len(got))
	}
	calls := f.caeRec.sent()
	if len(calls) != 2 || calls[1].grant != "refresh_token" {
		t.Fatalf("CAE client token requests %+v; want the sign-in and one refresh", calls)
	}
	if c := calls[1].claims; !strings.Contains(c, `"nbf":{"essential":true,"value":"1604106651"}`) || !strings.Contains(c, xmsCC) {
		t.Errorf("refresh claims = %s; want the challenge's claims (decoded once) with the capability merged", c)
	}
	if n := len(f.plainRec.sent()); n != 1 {
		t.Errorf("plain client sent %d token requests; want only its sign-in (the pipeline never uses it)", n)
	}
}

// The confidential credential through the same pipeline: an app token by client
// credentials, the challenge answered by a new one.
func TestCredential_confidentialPipeline_answersACAEChallenge(t *testing.T) {
	f := newFixture(t)
	a := newAPI(t)
	cred := mustConfidential(t, f, nil)
	if status := a.get(t, cred); status != 200 {
		t.Fatalf("status %d; want 200", status)
	}
	token := strings.TrimPrefix(a.requests()[0], "Bearer ")
	a.revoke(token)
	if status := a.get(t, cred); status != 200 {
		t.Fatalf("after revocation: status %d; want 200", status)
	}
	calls := f.caeCCRec.sent()
	if len(calls) != 2 || calls[0].grant != "client_credentials" || calls[1].grant != "client_credentials" ||
		!strings.Contains(calls[1].claims, `"nbf"`) || !strings.Contains(calls[0].claims, xmsCC) || !strings.Contains(calls[1].claims, xmsCC) {
		t.Fatalf("token requests %+v; want two client-credentials grants carrying the capability, the second the challenge too", calls)
	}
	if got := a.requests(); len(got) != 3 || got[2] == got[1] {
		t.Fatalf("the API saw %d requests; want 3, the last with a new token", len(got))
	}
}

// CAE and non-CAE tokens never mix: each kind comes from its own client and cache, the
// plain client never declares the capability, and each is served again from its cache.
func TestCredential_GetToken_keepsCAEAndPlainTokensApart(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for name, cred := range map[string]*hexaz.Credential{"public": mustPublic(t, f, nil), "confidential": mustConfidential(t, f, nil)} {
		t.Run(name, func(t *testing.T) {
			get := func(cae bool) string {
				t.Helper()
				at, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{apiScope}, EnableCAE: cae})
				if err != nil {
					t.Fatalf("GetToken(EnableCAE=%v): %v", cae, err)
				}
				return at.Token
			}
			cae, plain := get(true), get(false)
			if cae == plain {
				t.Fatal("the CAE and the plain request got one token; want one per kind")
			}
			if get(true) != cae || get(false) != plain {
				t.Fatal("a second request of a kind got another token; want each served from its own cache")
			}
			if name == "public" && (cae != string(f.caeSignIn.AccessToken) || plain != string(f.plainSignIn.AccessToken)) {
				t.Fatal("the tokens are not the ones each client cached at sign-in")
			}
		})
	}
	for _, rec := range []*recorder{f.plainRec, f.plainCCRec} {
		for _, c := range rec.sent() {
			if strings.Contains(c.claims, "xms_cc") {
				t.Errorf("plain client sent claims %s; want no capability", c.claims)
			}
		}
	}
	for _, rec := range []*recorder{f.caeRec, f.caeCCRec} {
		for _, c := range rec.sent() {
			if !strings.Contains(c.claims, xmsCC) {
				t.Errorf("CAE client sent claims %q; want the capability", c.claims)
			}
		}
	}
}

// Without a plain client a request without CAE is refused, never answered with a CAE
// token; without a CAE client a CAE request gets a plain token (always safe).
func TestCredential_GetToken_withOneClient(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	onlyCAE, err := hexaz.NewPublic(f.caePC, nil, f.caeSignIn.Account, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = onlyCAE.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{apiScope}})
	if !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("GetToken without CAE on a CAE-only credential: %v; want ErrInvalidInput", err)
	}
	onlyPlain, err := hexaz.NewPublic(nil, f.plainPC, f.plainSignIn.Account, nil)
	if err != nil {
		t.Fatal(err)
	}
	at, err := onlyPlain.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{apiScope}, EnableCAE: true})
	if err != nil || at.Token != string(f.plainSignIn.AccessToken) {
		t.Fatalf("GetToken with CAE on a plain-only credential: %v; want the plain token", err)
	}
}

// A tenant other than the client's is used only when AdditionallyAllowedTenants names
// it (or "*"); otherwise ErrInvalidInput naming the option, and nothing is sent.
func TestCredential_GetToken_tenantAllowList(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	req := policy.TokenRequestOptions{Scopes: []string{apiScope}, EnableCAE: true, TenantID: otherTenant}
	before := len(f.caeCCRec.sent())

	_, err := mustConfidential(t, f, nil).GetToken(ctx, req)
	if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), "AdditionallyAllowedTenants") {
		t.Fatalf("GetToken for an unlisted tenant: %v; want ErrInvalidInput naming AdditionallyAllowedTenants", err)
	}
	_, err = mustConfidential(t, f, &hexaz.Options{AdditionallyAllowedTenants: []string{"contoso.example"}}).GetToken(ctx, req)
	if !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("GetToken for a tenant the list does not name: %v; want ErrInvalidInput", err)
	}
	if n := len(f.caeCCRec.sent()); n != before {
		t.Fatalf("%d token requests sent for refused tenants; want none", n-before)
	}

	upper := req
	upper.TenantID = strings.ToUpper(otherTenant)
	for _, c := range []struct {
		allowed []string
		req     policy.TokenRequestOptions
	}{
		{[]string{strings.ToUpper(otherTenant)}, req}, // tenant ids compare ignoring case
		{[]string{otherTenant}, upper},
		{[]string{hexaz.AllTenants}, req},
	} {
		allowed := c.allowed
		if _, err := mustConfidential(t, f, &hexaz.Options{AdditionallyAllowedTenants: allowed}).GetToken(ctx, c.req); err != nil {
			t.Fatalf("allowed %v: %v", allowed, err)
		}
		calls := f.caeCCRec.sent()
		if last := calls[len(calls)-1]; !strings.HasPrefix(strings.ToLower(last.path), "/"+otherTenant+"/") {
			t.Fatalf("allowed %v: token request to %s; want the other tenant's endpoint", allowed, last.path)
		}
	}
	// The client's own tenant needs no listing and goes to the client's authority.
	if _, err := mustConfidential(t, f, nil).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{apiScope}, TenantID: homeTenant}); err != nil {
		t.Fatalf("own tenant: %v", err)
	}
	if calls := f.plainCCRec.sent(); len(calls) != 1 || !strings.HasPrefix(calls[0].path, "/"+homeTenant+"/") {
		t.Fatalf("own tenant: token requests %+v; want one to the home tenant", calls)
	}
}

// Zero scopes: ErrInvalidInput, before any request, even once the ID token has expired
// (hexauth would otherwise take an empty request for a sign-in and refresh it).
func TestCredential_GetToken_needsAScope(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(2 * time.Hour)
	for name, cred := range map[string]*hexaz.Credential{"public": mustPublic(t, f, nil), "confidential": mustConfidential(t, f, nil)} {
		for _, scopes := range [][]string{nil, {}} {
			_, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: scopes, EnableCAE: true})
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), "scope") {
				t.Errorf("%s: GetToken(%v scopes) = %v; want ErrInvalidInput", name, scopes, err)
			}
		}
	}
	if n := len(f.caeRec.sent()) + len(f.caeCCRec.sent()); n != 1 {
		t.Fatalf("%d token requests; want only the sign-in", n)
	}
}

// ExpiresOn and RefreshOn are UTC whatever the clock's zone; RefreshOn is hexauth's
// refresh_on (the provider sent refresh_in: 20 minutes).
func TestCredential_GetToken_timesInUTC(t *testing.T) {
	f := newFixture(t)
	at, err := mustPublic(t, f, nil).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{apiScope}, EnableCAE: true})
	if err != nil {
		t.Fatal(err)
	}
	if at.ExpiresOn.Location() != time.UTC || at.RefreshOn.Location() != time.UTC {
		t.Fatalf("ExpiresOn %v, RefreshOn %v; want both in UTC", at.ExpiresOn, at.RefreshOn)
	}
	if !at.ExpiresOn.Equal(f.caeSignIn.ExpiresOn) || !at.RefreshOn.Equal(f.caeSignIn.RefreshOn) || at.RefreshOn.IsZero() {
		t.Fatalf("ExpiresOn %v, RefreshOn %v; want the cached token's %v and %v", at.ExpiresOn, at.RefreshOn, f.caeSignIn.ExpiresOn, f.caeSignIn.RefreshOn)
	}
	// A token straight from the provider (a challenge's claims skip the cache).
	fresh, err := mustPublic(t, f, nil).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{apiScope}, EnableCAE: true, Claims: caeClaims})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.ExpiresOn.Location() != time.UTC || fresh.RefreshOn.Location() != time.UTC {
		t.Fatalf("from the provider: ExpiresOn %v, RefreshOn %v; want both in UTC", fresh.ExpiresOn, fresh.RefreshOn)
	}
	if now := f.clock.Now(); !fresh.ExpiresOn.Equal(now.Add(time.Hour)) || !fresh.RefreshOn.Equal(now.Add(20*time.Minute)) {
		t.Fatalf("from the provider: ExpiresOn %v, RefreshOn %v; want now+1h and now+20m (refresh_in)", fresh.ExpiresOn, fresh.RefreshOn)
	}
}

// hexauth's error classes are reachable through the credential's errors, and no token
// or secret reaches an error or the clients' debug logs.
func TestCredential_errorsKeepClassesAndNoSecretIsLogged(t *testing.T) {
	f := newFixture(t)
	a := newAPI(t)
	cred := mustPublic(t, f, nil)
	if status := a.get(t, cred); status != 200 {
		t.Fatalf("status %d", status)
	}
	a.revoke(string(f.caeSignIn.AccessToken))
	if status := a.get(t, cred); status != 200 {
		t.Fatalf("status %d", status)
	}
	// The user's session ends: the next challenge cannot be answered silently.
	f.srv.RevokeRefreshTokens(username)
	_, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{apiScope}, EnableCAE: true, Claims: caeClaims})
	if !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("GetToken after revocation: %v; want interaction required (the credential never prompts)", err)
	}
	secrets := []string{password, daemonKey, string(f.caeSignIn.AccessToken), string(f.caeSignIn.RefreshToken),
		string(f.plainSignIn.AccessToken), string(f.plainSignIn.RefreshToken), string(f.caeSignIn.IDToken)}
	for _, h := range a.requests() {
		secrets = append(secrets, strings.TrimPrefix(h, "Bearer "))
	}
	logs := f.log.String()
	if logs == "" {
		t.Fatal("the clients logged nothing at debug level; the search below would prove nothing")
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(logs, s) {
			t.Errorf("a secret (%d bytes) is in the clients' logs", len(s))
		}
		if strings.Contains(err.Error(), s) {
			t.Errorf("a secret (%d bytes) is in the error %q", len(s), err)
		}
	}
}

// The constructors check their clients and options.
func TestNew_refusesBadInput(t *testing.T) {
	f := newFixture(t)
	acct := f.caeSignIn.Account
	elsewhere, err := app.NewConfidentialClient(context.Background(), app.Config{
		ClientID: daemonID, Authority: f.srv.EntraAuthority(otherTenant), AuthorityKind: domain.AuthorityEntra,
	}, app.ClientSecret(daemonKey))
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Close()
	for name, build := range map[string]func() (*hexaz.Credential, error){
		"no client":              func() (*hexaz.Credential, error) { return hexaz.NewPublic(nil, nil, acct, nil) },
		"no account":             func() (*hexaz.Credential, error) { return hexaz.NewPublic(f.caePC, f.plainPC, app.Account{}, nil) },
		"CAE client without cp1": func() (*hexaz.Credential, error) { return hexaz.NewPublic(f.plainPC, nil, acct, nil) },
		"plain client with cp1":  func() (*hexaz.Credential, error) { return hexaz.NewPublic(nil, f.caePC, acct, nil) },
		"one client as both":     func() (*hexaz.Credential, error) { return hexaz.NewConfidential(f.caeCC, f.caeCC, nil) },
		"clients of two tenants": func() (*hexaz.Credential, error) { return hexaz.NewConfidential(f.caeCC, elsewhere, nil) },
		"confidential swapped":   func() (*hexaz.Credential, error) { return hexaz.NewConfidential(f.plainCC, f.caeCC, nil) },
		"empty allowed tenant": func() (*hexaz.Credential, error) {
			return hexaz.NewConfidential(f.caeCC, f.plainCC, &hexaz.Options{AdditionallyAllowedTenants: []string{""}})
		},
		"malformed allowed tenant": func() (*hexaz.Credential, error) {
			return hexaz.NewConfidential(f.caeCC, f.plainCC, &hexaz.Options{AdditionallyAllowedTenants: []string{"a/b"}})
		},
	} {
		if cred, err := build(); !errors.Is(err, domain.ErrInvalidInput) || cred != nil {
			t.Errorf("%s: %v, %v; want nil, ErrInvalidInput", name, cred, err)
		}
	}
}

// The credential keeps no lock of its own: concurrent GetToken calls for an expired
// token are merged by hexauth (single flight, then the cache), one refresh for all.
func TestCredential_GetToken_concurrentCallersShareOneRefresh(t *testing.T) {
	f := newFixture(t)
	cred := mustPublic(t, f, nil)
	f.clock.Advance(time.Hour) // past expires_on minus the buffer
	const callers = 8
	tokens := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{apiScope}, EnableCAE: true})
			tokens[i], errs[i] = at.Token, err
		}()
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || tokens[i] != tokens[0] || tokens[i] == string(f.caeSignIn.AccessToken) {
			t.Fatalf("caller %d: %v; want the one refreshed token", i, errs[i])
		}
	}
	refreshes := 0
	for _, c := range f.caeRec.sent() {
		if c.grant == "refresh_token" {
			refreshes++
		}
	}
	if refreshes != 1 {
		t.Fatalf("%d refresh requests for %d concurrent callers; want 1", refreshes, callers)
	}
}
