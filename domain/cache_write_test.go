package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

var writeNow = time.Date(2025, 3, 1, 12, 0, 0, 987654321, time.UTC)

const (
	entraCommon = "https://login.microsoftonline.com/common"
	entraTenant = "https://login.microsoftonline.com/contoso.onmicrosoft.com"
	oidcIssuer  = "https://idp.example.com"
)

func userClaims() *domain.IDTokenClaims {
	return &domain.IDTokenClaims{Issuer: "https://login.microsoftonline.com/tid-1/v2.0", Subject: "sub-1", Audience: []string{"client"},
		TenantID: "tid-1", ObjectID: "oid-1", PreferredUsername: "alice@contoso.com", UPN: "alice@upn", Name: "Alice"}
}

func userResponse() domain.TokenResponse {
	return domain.TokenResponse{AccessToken: "at", TokenType: "bearer", ExpiresIn: time.Hour, RefreshToken: "rt",
		IDToken: "idt", ClientInfo: makeClientInfo("uid", "utid")}
}

func userContext(t *testing.T, authority string) domain.ResponseContext {
	return domain.ResponseContext{Partition: "p1", Authority: mustAuthority(t, authority), ClientID: "client",
		RequestedScopes: []string{"User.Read"}, Now: writeNow, Claims: userClaims()}
}

func TestBuildCacheWrite_userTokens(t *testing.T) {
	w, acct, err := domain.BuildCacheWrite(userResponse(), userContext(t, entraCommon))
	if err != nil {
		t.Fatalf("BuildCacheWrite error = %v; want nil", err)
	}
	cached := writeNow.Truncate(time.Second)
	env := "login.microsoftonline.com"
	wantAcct := domain.Account{HomeAccountID: "uid.utid", Environment: env, Realm: "tid-1", LocalAccountID: "oid-1",
		Username: "alice@contoso.com", Name: "Alice", AuthorityType: domain.AuthorityTypeMSSTS}
	wantAT := domain.AccessToken{HomeAccountID: "uid.utid", Environment: env, ClientID: "client", Realm: "tid-1", Target: "User.Read",
		Secret: "at", TokenType: "Bearer", CachedAt: cached, ExpiresOn: cached.Add(time.Hour), ExtendedExpiresOn: cached.Add(time.Hour)}
	wantRT := domain.RefreshToken{HomeAccountID: "uid.utid", Environment: env, ClientID: "client", Target: "User.Read", Secret: "rt", CachedAt: cached}
	wantIDT := domain.IDToken{HomeAccountID: "uid.utid", Environment: env, ClientID: "client", Realm: "tid-1", Secret: "idt"}
	want := domain.CacheWrite{Partition: "p1", AccessToken: &wantAT, RefreshToken: &wantRT, IDToken: &wantIDT, Account: &wantAcct,
		AppMetadata: &domain.AppMetadata{ClientID: "client", Environment: env}}
	if !reflect.DeepEqual(acct, wantAcct) {
		t.Errorf("account = %+v; want %+v", acct, wantAcct)
	}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("write =\n%s\nwant\n%s", dump(w), dump(want))
	}
}

func dump(w domain.CacheWrite) string {
	// Secrets are test values here; show them through their string form.
	type view struct {
		AT                 *domain.AccessToken
		RT                 *domain.RefreshToken
		IDT                *domain.IDToken
		Account            *domain.Account
		AppMetadata        *domain.AppMetadata
		Partition          string
		DeleteAccessTokens [][6]string
	}
	b, _ := json.MarshalIndent(view{w.AccessToken, w.RefreshToken, w.IDToken, w.Account, w.AppMetadata, w.Partition, w.DeleteAccessTokens}, "", " ")
	return string(b)
}

func TestBuildCacheWrite_accountFields(t *testing.T) {
	tests := []struct {
		name      string
		authority string
		resp      func(*domain.TokenResponse)
		claims    func(*domain.IDTokenClaims)
		want      func(a domain.Account) bool
	}{
		{name: "home id from sub without client_info", authority: oidcIssuer, resp: func(r *domain.TokenResponse) { r.ClientInfo = "" },
			want: func(a domain.Account) bool {
				return a.HomeAccountID == "sub-1" && a.AuthorityType == domain.AuthorityTypeGeneric
			}},
		{name: "realm from tid", authority: entraTenant, want: func(a domain.Account) bool { return a.Realm == "tid-1" }},
		{name: "realm from authority without tid", authority: entraTenant, claims: func(c *domain.IDTokenClaims) { c.TenantID = "" },
			want: func(a domain.Account) bool { return a.Realm == "contoso.onmicrosoft.com" }},
		{name: "no realm for an oidc issuer", authority: oidcIssuer, claims: func(c *domain.IDTokenClaims) { c.TenantID = "" },
			want: func(a domain.Account) bool { return a.Realm == "" }},
		{name: "local id from sub without oid", authority: entraCommon, claims: func(c *domain.IDTokenClaims) { c.ObjectID = "" },
			want: func(a domain.Account) bool { return a.LocalAccountID == "sub-1" }},
		{name: "username from upn", authority: entraCommon, claims: func(c *domain.IDTokenClaims) { c.PreferredUsername = "" },
			want: func(a domain.Account) bool { return a.Username == "alice@upn" }},
		{name: "username from email", authority: entraCommon, claims: func(c *domain.IDTokenClaims) { c.PreferredUsername, c.UPN, c.Email = "", "", "a@mail" },
			want: func(a domain.Account) bool { return a.Username == "a@mail" }},
		{name: "adfs authority type", authority: "https://fs.contoso.com/adfs", claims: func(c *domain.IDTokenClaims) { c.TenantID = "" },
			want: func(a domain.Account) bool { return a.AuthorityType == domain.AuthorityTypeADFS && a.Realm == "adfs" }},
		{name: "b2c authority type", authority: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_x",
			want: func(a domain.Account) bool {
				return a.AuthorityType == domain.AuthorityTypeMSSTS && a.Environment == "contoso.b2clogin.com"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, c := userResponse(), userContext(t, tt.authority)
			if tt.resp != nil {
				tt.resp(&resp)
			}
			if tt.claims != nil {
				tt.claims(c.Claims)
			}
			w, acct, err := domain.BuildCacheWrite(resp, c)
			if err != nil {
				t.Fatalf("BuildCacheWrite error = %v; want nil", err)
			}
			if !tt.want(acct) {
				t.Errorf("account = %+v; not as expected", acct)
			}
			if w.Account == nil || !reflect.DeepEqual(*w.Account, acct) {
				t.Errorf("written account = %+v; want the returned %+v", w.Account, acct)
			}
			if w.AccessToken.HomeAccountID != acct.HomeAccountID || w.AccessToken.Realm != acct.Realm ||
				w.IDToken.HomeAccountID != acct.HomeAccountID || w.IDToken.Realm != acct.Realm || w.RefreshToken.HomeAccountID != acct.HomeAccountID {
				t.Errorf("entries keyed by %q/%q, %q/%q, %q; want the account's %q/%q", w.AccessToken.HomeAccountID, w.AccessToken.Realm,
					w.IDToken.HomeAccountID, w.IDToken.Realm, w.RefreshToken.HomeAccountID, acct.HomeAccountID, acct.Realm)
			}
		})
	}
}

func TestBuildCacheWrite_accessTokenFields(t *testing.T) {
	cached := writeNow.Truncate(time.Second)
	tests := []struct {
		name  string
		resp  func(*domain.TokenResponse)
		check func(t *testing.T, at domain.AccessToken)
	}{
		{name: "requested scopes when none granted", check: func(t *testing.T, at domain.AccessToken) { wantString(t, "Target", at.Target, "User.Read") }},
		{name: "granted scopes win", resp: func(r *domain.TokenResponse) { r.Scope = []string{"openid", "Mail.Read", "User.Read"} },
			check: func(t *testing.T, at domain.AccessToken) {
				wantString(t, "Target", at.Target, "Mail.Read User.Read openid")
			}},
		{name: "no refresh_on under two hours", check: func(t *testing.T, at domain.AccessToken) {
			if !at.RefreshOn.IsZero() {
				t.Errorf("RefreshOn = %v; want zero", at.RefreshOn)
			}
		}},
		{name: "refresh_on at half-life", resp: func(r *domain.TokenResponse) { r.ExpiresIn = 4 * time.Hour },
			check: func(t *testing.T, at domain.AccessToken) {
				wantTime(t, "RefreshOn", at.RefreshOn, cached.Add(2*time.Hour))
			}},
		{name: "refresh_on from refresh_in", resp: func(r *domain.TokenResponse) { r.ExpiresIn, r.RefreshIn = 4*time.Hour, 30*time.Minute },
			check: func(t *testing.T, at domain.AccessToken) {
				wantTime(t, "RefreshOn", at.RefreshOn, cached.Add(30*time.Minute))
			}},
		{name: "extended expiry", resp: func(r *domain.TokenResponse) { r.ExtExpiresIn = 3 * time.Hour },
			check: func(t *testing.T, at domain.AccessToken) {
				wantTime(t, "ExtendedExpiresOn", at.ExtendedExpiresOn, cached.Add(3*time.Hour))
				wantTime(t, "ExpiresOn", at.ExpiresOn, cached.Add(time.Hour))
			}},
		{name: "token type bearer in any case", resp: func(r *domain.TokenResponse) { r.TokenType = "bEARER" },
			check: func(t *testing.T, at domain.AccessToken) { wantString(t, "TokenType", at.TokenType, "Bearer") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := userResponse()
			if tt.resp != nil {
				tt.resp(&resp)
			}
			w, _, err := domain.BuildCacheWrite(resp, userContext(t, entraCommon))
			if err != nil {
				t.Fatalf("BuildCacheWrite error = %v; want nil", err)
			}
			tt.check(t, *w.AccessToken)
			if w.RefreshToken.Target != w.AccessToken.Target {
				t.Errorf("refresh token target = %q; want the access token's %q", w.RefreshToken.Target, w.AccessToken.Target)
			}
		})
	}
}

func wantTime(t *testing.T, field string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v; want %v", field, got, want)
	}
}

func TestBuildCacheWrite_supersession(t *testing.T) {
	old := func(env, client, realm, home, target string) domain.AccessToken {
		return domain.AccessToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: realm, Target: target, Secret: "old"}
	}
	const ms, home = "login.microsoftonline.com", "uid.utid"
	tests := []struct {
		name      string
		authority string
		old       domain.AccessToken
		deleted   bool
	}{
		{name: "intersecting", authority: entraCommon, old: old(ms, "client", "tid-1", home, "Mail.Read User.Read"), deleted: true},
		{name: "disjoint", authority: entraCommon, old: old(ms, "client", "tid-1", home, "Files.Read"), deleted: false},
		{name: "only reserved shared", authority: entraCommon, old: old(ms, "client", "tid-1", home, "Files.Read openid profile"), deleted: false},
		{name: "same key is upserted, not deleted", authority: entraCommon, old: old(ms, "client", "tid-1", home, "User.Read"), deleted: false},
		{name: "other realm", authority: entraCommon, old: old(ms, "client", "tid-2", home, "User.Read Mail.Read"), deleted: false},
		{name: "other client", authority: entraCommon, old: old(ms, "client-2", "tid-1", home, "User.Read Mail.Read"), deleted: false},
		{name: "other account", authority: entraCommon, old: old(ms, "client", "tid-1", "u2.utid", "User.Read Mail.Read"), deleted: false},
		{name: "other cloud", authority: entraCommon, old: old("login.chinacloudapi.cn", "client", "tid-1", home, "User.Read Mail.Read"), deleted: false},
		{name: "alias environment", authority: entraCommon, old: old("login.windows.net", "client", "tid-1", home, "User.Read Mail.Read"), deleted: true},
		{name: "entra compares case-insensitively", authority: entraCommon, old: old(ms, "client", "tid-1", home, "user.read Mail.Read"), deleted: true},
		{name: "oidc compares case-sensitively", authority: oidcIssuer, old: old("idp.example.com", "client", "", home, "user.read Mail.Read"), deleted: false},
		{name: "oidc intersecting", authority: oidcIssuer, old: old("idp.example.com", "client", "", home, "User.Read Mail.Read"), deleted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := userContext(t, tt.authority)
			c.Existing = []domain.AccessToken{tt.old}
			w, _, err := domain.BuildCacheWrite(userResponse(), c)
			if err != nil {
				t.Fatalf("BuildCacheWrite error = %v; want nil", err)
			}
			var want [][6]string
			if tt.deleted {
				want = [][6]string{tt.old.KeyFields()}
			}
			if !slices.Equal(w.DeleteAccessTokens, want) {
				t.Errorf("DeleteAccessTokens = %q; want %q (new key %q)", w.DeleteAccessTokens, want, w.AccessToken.Key())
			}
		})
	}
}

func TestBuildCacheWrite_refreshAndFamily(t *testing.T) {
	resp := userResponse()
	resp.RefreshToken, resp.FamilyID = "", ""
	w, _, err := domain.BuildCacheWrite(resp, userContext(t, entraCommon))
	if err != nil || w.RefreshToken != nil || w.AppMetadata == nil || w.AppMetadata.FamilyID != "" {
		t.Errorf("without refresh_token: RT = %v, app metadata = %+v, err = %v; want no RT, metadata without family", w.RefreshToken, w.AppMetadata, err)
	}
	resp = userResponse()
	resp.FamilyID = "1"
	w, _, err = domain.BuildCacheWrite(resp, userContext(t, entraCommon))
	if err != nil || w.RefreshToken == nil || w.RefreshToken.FamilyID != "1" || w.AppMetadata.FamilyID != "1" {
		t.Errorf("with foci 1: RT = %v, app metadata = %+v, err = %v; want family 1 on both", w.RefreshToken, w.AppMetadata, err)
	}
}

func cachedAccount() domain.Account {
	return domain.Account{HomeAccountID: "uid.utid", Environment: "login.windows.net", Realm: "tid-1", LocalAccountID: "oid-1",
		Username: "alice@contoso.com", AuthorityType: domain.AuthorityTypeMSSTS, Extra: map[string]json.RawMessage{"k": json.RawMessage(`"v"`)}}
}

func TestBuildCacheWrite_refreshWithoutIDToken(t *testing.T) {
	resp := userResponse()
	resp.IDToken = ""
	c := userContext(t, entraCommon)
	c.Claims = nil
	known := cachedAccount()
	c.Account = &known
	w, acct, err := domain.BuildCacheWrite(resp, c)
	if err != nil {
		t.Fatalf("BuildCacheWrite error = %v; want nil", err)
	}
	want := cachedAccount()
	want.Environment = "login.microsoftonline.com"
	if !reflect.DeepEqual(acct, want) || w.Account == nil || !reflect.DeepEqual(*w.Account, want) {
		t.Errorf("account = %+v, written %+v; want the cached one %+v", acct, w.Account, want)
	}
	if w.IDToken != nil {
		t.Errorf("IDToken written = %v; want none (the cached ID token is kept)", w.IDToken)
	}
	if w.AccessToken.HomeAccountID != "uid.utid" || w.AccessToken.Realm != "tid-1" {
		t.Errorf("access token keyed %q/%q; want uid.utid/tid-1", w.AccessToken.HomeAccountID, w.AccessToken.Realm)
	}
	acct.Extra["k"][1] = 'X'
	if string(known.Extra["k"]) != `"v"` {
		t.Errorf("mutating the returned account changed the caller's Extra: %s", known.Extra["k"])
	}
}

func TestBuildCacheWrite_refused(t *testing.T) {
	other := cachedAccount()
	other.HomeAccountID = "someone.else"
	tests := []struct {
		name      string
		resp      func(*domain.TokenResponse)
		ctx       func(*domain.ResponseContext)
		wantClass domain.ErrorCode
	}{
		{name: "refresh response names another account", ctx: func(c *domain.ResponseContext) { c.Account = &other }, wantClass: domain.ErrInvalidIDToken},
		{name: "refresh response without ID token names another account by client_info",
			resp: func(r *domain.TokenResponse) { r.IDToken = "" },
			ctx:  func(c *domain.ResponseContext) { c.Claims, c.Account = nil, &other }, wantClass: domain.ErrInvalidIDToken},
		{name: "no ID token and no account", resp: func(r *domain.TokenResponse) { r.IDToken = "" },
			ctx: func(c *domain.ResponseContext) { c.Claims = nil }, wantClass: domain.ErrInvalidResponse},
		{name: "bad client_info", resp: func(r *domain.TokenResponse) { r.ClientInfo = "%%%" }, wantClass: domain.ErrInvalidResponse},
		{name: "no access token", resp: func(r *domain.TokenResponse) { r.AccessToken = "" }, wantClass: domain.ErrInvalidResponse},
		{name: "zero lifetime", resp: func(r *domain.TokenResponse) { r.ExpiresIn = 0 }, wantClass: domain.ErrInvalidResponse},
		{name: "absurd lifetime", resp: func(r *domain.TokenResponse) { r.ExpiresIn = 2 * domain.MaxTokenLifetime }, wantClass: domain.ErrInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, c := userResponse(), userContext(t, entraCommon)
			if tt.resp != nil {
				tt.resp(&resp)
			}
			if tt.ctx != nil {
				tt.ctx(&c)
			}
			w, acct, err := domain.BuildCacheWrite(resp, c)
			if !errors.Is(err, tt.wantClass) {
				t.Errorf("BuildCacheWrite error = %v; want %v", err, tt.wantClass)
			}
			if !reflect.DeepEqual(w, domain.CacheWrite{}) || !reflect.DeepEqual(acct, domain.Account{}) {
				t.Errorf("BuildCacheWrite on error = %s, %+v; want nothing to write", dump(w), acct)
			}
		})
	}
}

func TestBuildCacheWrite_appOnly(t *testing.T) {
	resp := domain.TokenResponse{AccessToken: "at", ExpiresIn: time.Hour, IDToken: "idt", ClientInfo: makeClientInfo("u", "t")}
	c := domain.ResponseContext{Partition: "p1", Authority: mustAuthority(t, entraTenant), ClientID: "client",
		RequestedScopes: []string{"https://graph.microsoft.com/.default"}, Now: writeNow, AppOnly: true, Claims: userClaims()}
	w, acct, err := domain.BuildCacheWrite(resp, c)
	if err != nil {
		t.Fatalf("BuildCacheWrite error = %v; want nil", err)
	}
	if !reflect.DeepEqual(acct, domain.Account{}) || w.Account != nil || w.IDToken != nil || w.RefreshToken != nil {
		t.Errorf("app-only write has account %+v / %v, ID token %v, RT %v; want none", acct, w.Account, w.IDToken, w.RefreshToken)
	}
	at := w.AccessToken
	if at.HomeAccountID != "" || at.Realm != "contoso.onmicrosoft.com" || at.Target != "https://graph.microsoft.com/.default" {
		t.Errorf("app-only access token = %v (realm %q, target %q); want empty home id, the authority's realm and the requested scope",
			at, at.Realm, at.Target)
	}
	if w.AppMetadata == nil || w.AppMetadata.ClientID != "client" {
		t.Errorf("app metadata = %+v; want one for client", w.AppMetadata)
	}
}

func TestBuildCacheWrite_refreshWithIDTokenKeepsCachedDetails(t *testing.T) {
	c := userContext(t, entraCommon)
	c.Claims.PreferredUsername, c.Claims.UPN, c.Claims.Email = "", "", ""
	known := cachedAccount()
	c.Account = &known
	_, acct, err := domain.BuildCacheWrite(userResponse(), c)
	if err != nil {
		t.Fatalf("BuildCacheWrite error = %v; want nil", err)
	}
	if acct.Username != known.Username || string(acct.Extra["k"]) != `"v"` {
		t.Errorf("account = %+v; want the cached username %q and Extra kept", acct, known.Username)
	}
	if acct.Environment != "login.microsoftonline.com" || acct.Realm != "tid-1" {
		t.Errorf("account environment/realm = %q/%q; want the authority's host and the token's tid", acct.Environment, acct.Realm)
	}
}

func TestBuildCacheWrite_refreshWithoutIDTokenTakesTheAuthorityRealm(t *testing.T) {
	guest, err := domain.ParseAuthority("https://login.microsoftonline.com/guest-tenant", domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	acct := domain.Account{HomeAccountID: "uid.home-tenant", Environment: guest.Host, Realm: "home-tenant"}
	w, _, err := domain.BuildCacheWrite(domain.TokenResponse{AccessToken: "a", ExpiresIn: time.Hour}, domain.ResponseContext{
		Authority: guest, ClientID: "c", RequestedScopes: []string{"read"}, Now: time.Unix(1_800_000_000, 0), Account: &acct,
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.AccessToken.Realm != "guest-tenant" {
		t.Fatalf("access token realm %q; want the guest tenant the authority named, not the home realm", w.AccessToken.Realm)
	}
}

// TestBuildCacheWrite_emptyGrantedScope: a response whose "scope" is empty granted no
// scope (RFC 6749 §3.3, §5.1; ADR 0019). Its access token is cached with an empty
// target, so that no silent call for the requested scopes is served it, and it
// supersedes none of the account's tokens. An ID-token-only sign-in (no non-reserved
// scope requested) still caches its ID token and account.
func TestBuildCacheWrite_emptyGrantedScope(t *testing.T) {
	for _, requested := range [][]string{{"User.Read"}, nil} {
		resp, err := domain.ParseTokenResponse(domain.GrantAuthorizationCode, 200, []byte(`{"access_token":"at","token_type":"Bearer","expires_in":3600,"id_token":"idt","scope":""}`))
		if err != nil {
			t.Fatalf("ParseTokenResponse = %v", err)
		}
		resp.ClientInfo = makeClientInfo("uid", "utid")
		c := userContext(t, entraCommon)
		c.RequestedScopes = requested
		c.Existing = []domain.AccessToken{{HomeAccountID: "uid.utid", Environment: "login.microsoftonline.com", ClientID: "client",
			Realm: "tid-1", Target: "User.Read"}}
		w, _, err := domain.BuildCacheWrite(resp, c)
		if err != nil {
			t.Fatalf("BuildCacheWrite(requested %q) = %v; want nil", requested, err)
		}
		if w.AccessToken.Target != "" {
			t.Errorf("requested %q, granted none: access token cached for %q; want an empty target", requested, w.AccessToken.Target)
		}
		if (domain.ScopeMatcher{CaseInsensitive: true}).TargetContains(w.AccessToken.Target, []string{"User.Read"}) {
			t.Errorf("the cached target %q serves User.Read; want it not to", w.AccessToken.Target)
		}
		if len(w.DeleteAccessTokens) != 0 {
			t.Errorf("DeleteAccessTokens = %q; want none (an empty grant intersects nothing)", w.DeleteAccessTokens)
		}
		if w.IDToken == nil || w.Account == nil {
			t.Errorf("requested %q: the ID token or account was not cached", requested)
		}
	}
}
