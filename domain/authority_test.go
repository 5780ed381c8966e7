package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func mustAuthority(t testing.TB, raw string) domain.Authority {
	t.Helper()
	a, err := domain.ParseAuthority(raw, domain.AuthorityAuto)
	if err != nil {
		t.Fatalf("ParseAuthority(%q) error = %v; want nil", raw, err)
	}
	return a
}

func TestParseAuthority_valid(t *testing.T) {
	const ms = "https://login.microsoftonline.com"
	tests := []struct {
		name      string
		raw       string
		kind      domain.AuthorityKind
		want      domain.Authority
		wantRealm string
	}{
		{name: "entra common", raw: ms + "/common", want: domain.Authority{URL: ms + "/common", Host: "login.microsoftonline.com", Tenant: "common", Kind: domain.AuthorityEntra}},
		{name: "entra organizations", raw: ms + "/organizations", want: domain.Authority{URL: ms + "/organizations", Host: "login.microsoftonline.com", Tenant: "organizations", Kind: domain.AuthorityEntra}},
		{name: "entra consumers", raw: ms + "/consumers", want: domain.Authority{URL: ms + "/consumers", Host: "login.microsoftonline.com", Tenant: "consumers", Kind: domain.AuthorityEntra}},
		{name: "entra tenant guid", raw: ms + "/72f988bf-86f1-41af-91ab-2d7cd011db47", wantRealm: "72f988bf-86f1-41af-91ab-2d7cd011db47",
			want: domain.Authority{URL: ms + "/72f988bf-86f1-41af-91ab-2d7cd011db47", Host: "login.microsoftonline.com", Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", Kind: domain.AuthorityEntra}},
		{name: "entra tenant domain", raw: ms + "/contoso.onmicrosoft.com", wantRealm: "contoso.onmicrosoft.com",
			want: domain.Authority{URL: ms + "/contoso.onmicrosoft.com", Host: "login.microsoftonline.com", Tenant: "contoso.onmicrosoft.com", Kind: domain.AuthorityEntra}},
		{name: "entra trailing slash", raw: ms + "/common/", want: domain.Authority{URL: ms + "/common", Host: "login.microsoftonline.com", Tenant: "common", Kind: domain.AuthorityEntra}},
		{name: "entra v2.0 suffix", raw: ms + "/contoso.com/v2.0/", wantRealm: "contoso.com",
			want: domain.Authority{URL: ms + "/contoso.com", Host: "login.microsoftonline.com", Tenant: "contoso.com", Kind: domain.AuthorityEntra}},
		{name: "entra host lower-cased, alias case-insensitive", raw: "https://LOGIN.MicrosoftOnline.com/Common",
			want: domain.Authority{URL: ms + "/Common", Host: "login.microsoftonline.com", Tenant: "Common", Kind: domain.AuthorityEntra}},
		{name: "entra alias host", raw: "https://login.windows.net/contoso.com", wantRealm: "contoso.com",
			want: domain.Authority{URL: "https://login.windows.net/contoso.com", Host: "login.windows.net", Tenant: "contoso.com", Kind: domain.AuthorityEntra}},
		{name: "entra sovereign cloud", raw: "https://login.chinacloudapi.cn/common",
			want: domain.Authority{URL: "https://login.chinacloudapi.cn/common", Host: "login.chinacloudapi.cn", Tenant: "common", Kind: domain.AuthorityEntra}},
		{name: "surrounding space trimmed", raw: "  " + ms + "/common\n", want: domain.Authority{URL: ms + "/common", Host: "login.microsoftonline.com", Tenant: "common", Kind: domain.AuthorityEntra}},
		{name: "b2c on b2clogin.com", raw: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin", wantRealm: "contoso.onmicrosoft.com",
			want: domain.Authority{URL: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin", Host: "contoso.b2clogin.com", Tenant: "contoso.onmicrosoft.com", Policy: "B2C_1_signupsignin", Kind: domain.AuthorityB2C}},
		{name: "b2c with tfp", raw: "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin/", wantRealm: "contoso.onmicrosoft.com",
			want: domain.Authority{URL: "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", Host: "contoso.b2clogin.com", Tenant: "contoso.onmicrosoft.com", Policy: "B2C_1_signin", Kind: domain.AuthorityB2C}},
		{name: "b2c tfp on a legacy host", raw: ms + "/tfp/contoso.onmicrosoft.com/B2C_1_signin", wantRealm: "contoso.onmicrosoft.com",
			want: domain.Authority{URL: ms + "/tfp/contoso.onmicrosoft.com/B2C_1_signin", Host: "login.microsoftonline.com", Tenant: "contoso.onmicrosoft.com", Policy: "B2C_1_signin", Kind: domain.AuthorityB2C}},
		{name: "adfs", raw: "https://fs.contoso.com/adfs/", wantRealm: "adfs",
			want: domain.Authority{URL: "https://fs.contoso.com/adfs", Host: "fs.contoso.com", Tenant: "adfs", Kind: domain.AuthorityADFS}},
		{name: "adfs upper case", raw: "https://fs.contoso.com/ADFS", wantRealm: "adfs",
			want: domain.Authority{URL: "https://fs.contoso.com/ADFS", Host: "fs.contoso.com", Tenant: "adfs", Kind: domain.AuthorityADFS}},
		{name: "oidc issuer", raw: "https://accounts.google.com",
			want: domain.Authority{URL: "https://accounts.google.com", Host: "accounts.google.com", Kind: domain.AuthorityOIDC}},
		{name: "oidc issuer with path", raw: "https://auth.example.com/realms/acme/", wantRealm: "realms/acme",
			want: domain.Authority{URL: "https://auth.example.com/realms/acme/", Host: "auth.example.com", Kind: domain.AuthorityOIDC}},
		{name: "oidc issuer at the root with a slash", raw: "https://tenant.auth0.example/",
			want: domain.Authority{URL: "https://tenant.auth0.example/", Host: "tenant.auth0.example", Kind: domain.AuthorityOIDC}},
		{name: "adfs trailing slash dropped", raw: "https://fs.contoso.com/adfs/", wantRealm: "adfs",
			want: domain.Authority{URL: "https://fs.contoso.com/adfs", Host: "fs.contoso.com", Tenant: "adfs", Kind: domain.AuthorityADFS}},
		{name: "http on 127.0.0.1", raw: "http://127.0.0.1:8080/issuer", wantRealm: "issuer",
			want: domain.Authority{URL: "http://127.0.0.1:8080/issuer", Host: "127.0.0.1:8080", Kind: domain.AuthorityOIDC}},
		{name: "http on ::1", raw: "http://[::1]:9000",
			want: domain.Authority{URL: "http://[::1]:9000", Host: "[::1]:9000", Kind: domain.AuthorityOIDC}},
		{name: "http on localhost", raw: "http://LocalHost:5556/dex", wantRealm: "dex",
			want: domain.Authority{URL: "http://localhost:5556/dex", Host: "localhost:5556", Kind: domain.AuthorityOIDC}},
		{name: "kind override to oidc", raw: ms + "/common", kind: domain.AuthorityOIDC, wantRealm: "common",
			want: domain.Authority{URL: ms + "/common", Host: "login.microsoftonline.com", Kind: domain.AuthorityOIDC}},
		{name: "kind override to entra", raw: "https://login.example.com/contoso", kind: domain.AuthorityEntra, wantRealm: "contoso",
			want: domain.Authority{URL: "https://login.example.com/contoso", Host: "login.example.com", Tenant: "contoso", Kind: domain.AuthorityEntra}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseAuthority(tt.raw, tt.kind)
			if err != nil || got != tt.want {
				t.Fatalf("ParseAuthority(%q, %q) = %+v, %v; want %+v, nil", tt.raw, tt.kind, got, err, tt.want)
			}
			if r := got.Realm(); r != tt.wantRealm {
				t.Errorf("Realm() = %q; want %q", r, tt.wantRealm)
			}
			again, err := domain.ParseAuthority(got.URL, tt.kind)
			if err != nil || again != got {
				t.Errorf("ParseAuthority(%q) of the canonical URL = %+v, %v; want %+v, nil", got.URL, again, err, got)
			}
		})
	}
}

func TestParseAuthority_invalid(t *testing.T) {
	const secret = "hunter2pw"
	tests := []struct {
		name string
		raw  string
		kind domain.AuthorityKind
	}{
		{name: "empty", raw: ""},
		{name: "relative", raw: "/common"},
		{name: "no scheme", raw: "login.microsoftonline.com/common"},
		{name: "ftp", raw: "ftp://login.microsoftonline.com/common"},
		{name: "no-break space in the host", raw: "https://login\u00a0microsoftonline.com/common"},
		{name: "look-alike Cyrillic o in the host", raw: "https://l\u043egin.microsoftonline.com/common"},
		{name: "http on a public host", raw: "http://login.microsoftonline.com/common"},
		{name: "http on a look-alike of localhost", raw: "http://localhost.evil.example/x"},
		{name: "http on a name that starts with a loopback ip", raw: "http://127.0.0.1.nip.io/"},
		{name: "query", raw: "https://login.microsoftonline.com/common?x=1"},
		{name: "fragment", raw: "https://login.microsoftonline.com/common#frag"},
		{name: "user info", raw: "https://user:" + secret + "@login.microsoftonline.com/common"},
		{name: "user info in an unparsable url", raw: "https://user:" + secret + "@host:port/"},
		{name: "user info without a scheme", raw: "user:" + secret + "@host"},
		{name: "entra without tenant", raw: "https://login.microsoftonline.com"},
		{name: "entra with only a slash", raw: "https://login.microsoftonline.com/"},
		{name: "entra with an endpoint path", raw: "https://login.microsoftonline.com/common/oauth2/v2.0/token"},
		{name: "entra with an empty segment", raw: "https://login.microsoftonline.com//common"},
		{name: "b2c without policy", raw: "https://contoso.b2clogin.com/contoso.onmicrosoft.com"},
		{name: "b2c tfp without policy", raw: "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/"},
		{name: "b2c with an empty tenant", raw: "https://contoso.b2clogin.com//B2C_1_signin"},
		{name: "b2c with an empty policy", raw: "https://contoso.b2clogin.com/contoso.onmicrosoft.com//x"},
		{name: "b2c kind with an empty tenant", raw: "https://idp.example.com//policy", kind: domain.AuthorityB2C},
		{name: "unknown kind", raw: "https://idp.example.com", kind: domain.AuthorityKind("saml")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseAuthority(tt.raw, tt.kind)
			var de *domain.Error
			if !errors.Is(err, domain.ErrInvalidInput) || !errors.As(err, &de) {
				t.Fatalf("ParseAuthority(%q) = %+v, %v; want a *domain.Error of ErrInvalidInput", tt.raw, got, err)
			}
			if got != (domain.Authority{}) {
				t.Errorf("ParseAuthority(%q) authority = %+v; want zero on error", tt.raw, got)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("ParseAuthority(%q) error %q quotes the password", tt.raw, err)
			}
		})
	}
}

func TestAuthority_CaseInsensitiveScopes(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{raw: "https://login.microsoftonline.com/common", want: true},
		{raw: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_x", want: true},
		{raw: "https://fs.contoso.com/adfs", want: false},
		{raw: "https://accounts.google.com", want: false},
	}
	for _, tt := range tests {
		a := mustAuthority(t, tt.raw)
		if got := a.CaseInsensitiveScopes(); got != tt.want {
			t.Errorf("ParseAuthority(%q).CaseInsensitiveScopes() = %v; want %v", tt.raw, got, tt.want)
		}
	}
}

func TestAuthority_IsOrganizationAlias(t *testing.T) {
	for tenant, want := range map[string]bool{"common": true, "ORGANIZATIONS": true, "consumers": true, "contoso.com": false, "adfs": false} {
		if got := (domain.Authority{Tenant: tenant, Kind: domain.AuthorityEntra}).IsOrganizationAlias(); got != want {
			t.Errorf("Authority{Tenant: %q}.IsOrganizationAlias() = %v; want %v", tenant, got, want)
		}
	}
}

var entraPublicHosts = []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}

func TestAuthority_Environments_entraAliases(t *testing.T) {
	for _, host := range entraPublicHosts {
		a := mustAuthority(t, "https://"+host+"/common")
		got := a.Environments()
		if len(got) != 4 || got[0] != host {
			t.Errorf("Environments() of %s = %q; want the four public aliases, %s first", host, got, host)
		}
		for _, h := range entraPublicHosts {
			if !slices.Contains(got, h) {
				t.Errorf("Environments() of %s = %q; want it to contain %s", host, got, h)
			}
		}
	}
	if got := mustAuthority(t, "https://accounts.google.com").Environments(); !slices.Equal(got, []string{"accounts.google.com"}) {
		t.Errorf("Environments() of an OIDC issuer = %q; want [accounts.google.com]", got)
	}
}

func TestEnvironmentAliases_lowerCasedHostFirst(t *testing.T) {
	got := domain.EnvironmentAliases("STS.Windows.NET")
	if len(got) != 4 || got[0] != "sts.windows.net" {
		t.Errorf("EnvironmentAliases(%q) = %q; want 4 hosts, sts.windows.net first", "STS.Windows.NET", got)
	}
	if got := domain.EnvironmentAliases("Idp.Example.com"); !slices.Equal(got, []string{"idp.example.com"}) {
		t.Errorf("EnvironmentAliases(%q) = %q; want [idp.example.com]", "Idp.Example.com", got)
	}
}

func TestSameEnvironment_pairs(t *testing.T) {
	for _, a := range entraPublicHosts {
		for _, b := range entraPublicHosts {
			if !domain.SameEnvironment(a, b) {
				t.Errorf("SameEnvironment(%q, %q) = false; want true", a, b)
			}
		}
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{a: "LOGIN.microsoftonline.com", b: "sts.WINDOWS.net", want: true},
		{a: "login.microsoftonline.com", b: "login.chinacloudapi.cn", want: false},
		{a: "login.microsoftonline.us", b: "login.usgovcloudapi.net", want: true},
		{a: "idp.example.com", b: "IDP.example.com", want: true},
		{a: "idp.example.com", b: "login.microsoftonline.com", want: false},
		{a: "idp.example.com", b: "idp2.example.com", want: false},
	}
	for _, tt := range tests {
		if got := domain.SameEnvironment(tt.a, tt.b); got != tt.want {
			t.Errorf("SameEnvironment(%q, %q) = %v; want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIsLoopbackHost_hosts(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true}, {"127.0.0.53", true}, {"::1", true}, {"[::1]", true}, {"localhost", true}, {"LOCALHOST", true},
		{"localhost.example.com", false}, {"10.0.0.1", false}, {"example.com", false}, {"", false}, {"0.0.0.0", false},
	}
	for _, tt := range tests {
		if got := domain.IsLoopbackHost(tt.host); got != tt.want {
			t.Errorf("IsLoopbackHost(%q) = %v; want %v", tt.host, got, tt.want)
		}
	}
}

func TestParseAuthority_defaultPortIsTheSameEnvironment(t *testing.T) {
	a, err := domain.ParseAuthority("https://login.microsoftonline.com:443/common", domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	if a.Host != "login.microsoftonline.com" || a.Kind != domain.AuthorityEntra || !domain.SameEnvironment(a.Host, "login.windows.net") {
		t.Fatalf("got host %q kind %q; want the Entra host without :443, matching its aliases", a.Host, a.Kind)
	}
}

func TestAuthority_CanonicalURL_oneKeyPerCloud(t *testing.T) {
	key := func(raw string) string {
		t.Helper()
		a, err := domain.ParseAuthority(raw, "")
		if err != nil {
			t.Fatal(err)
		}
		return a.CanonicalURL()
	}
	want := "https://login.microsoftonline.com/contoso.onmicrosoft.com"
	for _, raw := range []string{
		"https://login.windows.net/contoso.onmicrosoft.com",
		"https://LOGIN.microsoft.com/Contoso.onmicrosoft.com/",
		"https://login.microsoftonline.com/contoso.onmicrosoft.com",
	} {
		if got := key(raw); got != want {
			t.Errorf("CanonicalURL(%s) = %s; want %s", raw, got, want)
		}
	}
	if got := key("https://login.microsoftonline.us/contoso"); got != "https://login.microsoftonline.us/contoso" {
		t.Errorf("a sovereign cloud maps to %s; want its own host", got)
	}
	if got := key("https://idp.example:8443/realms/x"); got != "https://idp.example:8443/realms/x" {
		t.Errorf("an OIDC issuer maps to %s; want itself", got)
	}
}

func TestAuthority_CanonicalURL_keepsAnIssuersPathCase(t *testing.T) {
	a, err := domain.ParseAuthority("https://idp.example/realms/Foo", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	b, err := domain.ParseAuthority("https://idp.example/realms/foo", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	if a.CanonicalURL() == b.CanonicalURL() {
		t.Fatalf("realms Foo and foo share the key %s; want two issuers, two keys", a.CanonicalURL())
	}
}

func TestIsLinkLocalHost_hosts(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"169.254.169.254", true}, {"169.254.0.1", true}, {"fe80::1", true}, {"[fe80::1]", true},
		{"fe80::1%eth0", true}, {"::ffff:169.254.169.254", true}, {"febf::1", true},
		{"2852039166", true}, {"0xa9fea9fe", true}, {"0xA9.0xFE.0xA9.0xFE", true}, {"0251.254.169.254", true},
		{"169.254.169.254.", true},
		{"169.253.1.1", false}, {"fec0::1", false}, {"127.0.0.1", false}, {"::1", false}, {"10.0.0.1", false},
		{"idp.example.com", false}, {"cafe", false}, {"metadata.google.internal", false}, {"", false},
	}
	for _, tt := range tests {
		if got := domain.IsLinkLocalHost(tt.host); got != tt.want {
			t.Errorf("IsLinkLocalHost(%q) = %v; want %v", tt.host, got, tt.want)
		}
	}
}

// An OIDC issuer keeps its trailing slash (it is compared exactly) but its cache
// identity — Realm and CanonicalURL — is the one it had when the slash was dropped.
func TestParseAuthority_oidcTrailingSlashKeptCacheIdentityUnchanged(t *testing.T) {
	with, without := mustAuthority(t, "https://idp.example/realms/a/"), mustAuthority(t, "https://idp.example/realms/a")
	if with.URL != "https://idp.example/realms/a/" || without.URL != "https://idp.example/realms/a" {
		t.Fatalf("URLs %q, %q; want each as configured", with.URL, without.URL)
	}
	if with.Realm() != "realms/a" || without.Realm() != "realms/a" {
		t.Errorf("realms %q, %q; want realms/a for both", with.Realm(), without.Realm())
	}
	if with.CanonicalURL() != "https://idp.example/realms/a" || with.CanonicalURL() != without.CanonicalURL() {
		t.Errorf("CanonicalURL %q, %q; want https://idp.example/realms/a for both", with.CanonicalURL(), without.CanonicalURL())
	}
}
