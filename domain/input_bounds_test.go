package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// wantInvalidInput fails unless err is a *domain.Error of class ErrInvalidInput that
// mentions want and does not quote secret.
func wantInvalidInput(t *testing.T, call string, err error, want, secret string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Class != domain.ErrInvalidInput {
		t.Fatalf("%s = %v; want a *domain.Error of class invalid_input", call, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s = %q; want it to mention %q", call, err, want)
	}
	// The first 32 bytes: a message quoting a long value would be cut short.
	if secret != "" && strings.Contains(err.Error(), secret[:min(len(secret), 32)]) {
		t.Errorf("%s = %q; it quotes the input", call, err)
	}
}

func TestParseAuthority_dotSegmentsAndPortZero(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		kind domain.AuthorityKind
	}{
		{name: "dot-dot tenant", raw: "https://login.microsoftonline.com/../common", kind: domain.AuthorityAuto},
		{name: "dot tenant", raw: "https://login.microsoftonline.com/./", kind: domain.AuthorityEntra},
		{name: "dot-dot in an OIDC issuer path", raw: "https://idp.example/realms/a/../b", kind: domain.AuthorityOIDC},
		{name: "trailing dot segment", raw: "https://idp.example/realms/a/.", kind: domain.AuthorityOIDC},
		{name: "percent-encoded dot-dot", raw: "https://login.microsoftonline.com/%2e%2e", kind: domain.AuthorityEntra},
		{name: "percent-encoded dot, upper case", raw: "https://idp.example/realms/%2E%2E/b", kind: domain.AuthorityOIDC},
		{name: "percent-encoded dot in a tenant", raw: "https://login.microsoftonline.com/contoso%2Ecom", kind: domain.AuthorityEntra},
		{name: "B2C policy dot-dot", raw: "https://c.b2clogin.com/c.onmicrosoft.com/..", kind: domain.AuthorityB2C},
		{name: "port 0", raw: "https://idp.example:0/realms/a", kind: domain.AuthorityOIDC},
		{name: "port 00 on loopback", raw: "http://127.0.0.1:00/", kind: domain.AuthorityOIDC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.ParseAuthority(tt.raw, tt.kind)
			if err == nil {
				t.Fatalf("ParseAuthority(%q) = nil error; want invalid_input", tt.raw)
			}
			wantInvalidInput(t, "ParseAuthority("+tt.raw+")", err, "", "")
		})
	}
	for _, raw := range []string{"https://login.microsoftonline.com/contoso.com", "https://idp.example:8443/realms/a.b", "http://127.0.0.1:10/x..y"} {
		if _, err := domain.ParseAuthority(raw, domain.AuthorityAuto); err != nil {
			t.Errorf("ParseAuthority(%q) = %v; want nil (dots inside a segment are fine)", raw, err)
		}
	}
}

func TestCheckRedirectURI(t *testing.T) {
	ok := []string{
		"https://app.example/cb", "http://127.0.0.1/cb", "http://127.0.0.1:8400/", "http://[::1]:1/",
		"http://localhost:3000/cb", "com.example.app:/oauth2redirect", "msal00000000-0000-0000-0000-000000000000://auth",
	}
	for _, raw := range ok {
		if err := domain.CheckRedirectURI(raw); err != nil {
			t.Errorf("CheckRedirectURI(%q) = %v; want nil", raw, err)
		}
	}
	long := "https://app.example/" + strings.Repeat("p", domain.MaxRedirectURIBytes)
	bad := []struct{ raw, want string }{
		{"http://app.example/cb", "https"},
		{"HTTP://evil.example/cb", "https"},
		{"http://127.0.0.1.evil.example/cb", "https"},
		{"/relative/cb", "absolute"},
		{"https://app.example/cb#frag", "fragment"},
		{"https://app.example/c\nb", "absolute"},
		{long, "2048"},
	}
	for _, tt := range bad {
		wantInvalidInput(t, "CheckRedirectURI", domain.CheckRedirectURI(tt.raw), tt.want, tt.raw)
	}
}

func TestCheckText_boundsAndControlCharacters(t *testing.T) {
	if err := domain.CheckText("login hint", strings.Repeat("é", domain.MaxHintBytes/2), domain.MaxHintBytes); err != nil {
		t.Errorf("CheckText at the bound = %v; want nil", err)
	}
	over := strings.Repeat("h", domain.MaxHintBytes+1)
	wantInvalidInput(t, "CheckText(over)", domain.CheckText("login hint", over, domain.MaxHintBytes), "login hint exceeds 1024 bytes", over)
	for _, v := range []string{"alice\r\nX-Evil: 1", "a\x00b", "a\x1bb", "a\u0085b", "a\x7fb", "\xff\xfe"} {
		wantInvalidInput(t, "CheckText", domain.CheckText("username", v, 100), "username", v)
	}
}

func TestCheckCorrelationID(t *testing.T) {
	for _, ok := range []string{"", "7f3c1e2a-9b7d-4c61-8f0e-2a6b5c4d3e21", strings.Repeat("a", domain.MaxCorrelationIDBytes)} {
		if err := domain.CheckCorrelationID(ok); err != nil {
			t.Errorf("CheckCorrelationID(%q) = %v; want nil", ok, err)
		}
	}
	over := strings.Repeat("a", domain.MaxCorrelationIDBytes+1)
	wantInvalidInput(t, "CheckCorrelationID(over)", domain.CheckCorrelationID(over), "128", over)
	for _, v := range []string{"id\r\nX-Injected: 1", "id with spaces", "idé"} {
		wantInvalidInput(t, "CheckCorrelationID", domain.CheckCorrelationID(v), "correlation id", v)
	}
}

func TestCheckCredentials(t *testing.T) {
	if err := domain.CheckCredentials("alice@example.com", "correct horse\tbattery"); err != nil {
		t.Errorf("CheckCredentials = %v; want nil (a password may hold any character)", err)
	}
	longUser := strings.Repeat("u", domain.MaxUsernameBytes+1)
	longPass := strings.Repeat("p", domain.MaxPasswordBytes+1)
	wantInvalidInput(t, "CheckCredentials(long username)", domain.CheckCredentials(longUser, "pw"), "username exceeds 1024 bytes", longUser)
	wantInvalidInput(t, "CheckCredentials(long password)", domain.CheckCredentials("alice", domain.Secret(longPass)), "password exceeds 1024 bytes", longPass)
	wantInvalidInput(t, "CheckCredentials(username with a line break)", domain.CheckCredentials("alice\nbob", "pw"), "control", "alice\nbob")
	wantInvalidInput(t, "CheckCredentials(no password)", domain.CheckCredentials("alice", ""), "required", "")
}

func TestAuthRequestInputs_Check(t *testing.T) {
	base := domain.AuthRequestInputs{RedirectURI: "https://app.example/cb", State: "s", LoginHint: "alice@example.com", DomainHint: "contoso.com", Claims: "{\n \"id_token\": {}\n}"}
	if err := base.Check(); err != nil {
		t.Fatalf("Check() = %v; want nil", err)
	}
	tests := []struct {
		name string
		edit func(*domain.AuthRequestInputs)
		want string
	}{
		{"state past its bound", func(in *domain.AuthRequestInputs) { in.State = strings.Repeat("s", domain.MaxStateBytes+1) }, "state exceeds 4096"},
		{"state not printable", func(in *domain.AuthRequestInputs) { in.State = "a\nb" }, "state is not printable"},
		{"login hint past its bound", func(in *domain.AuthRequestInputs) { in.LoginHint = strings.Repeat("h", domain.MaxHintBytes+1) }, "login hint exceeds"},
		{"domain hint with a control character", func(in *domain.AuthRequestInputs) { in.DomainHint = "contoso\x00.com" }, "domain hint"},
		{"claims past their bound", func(in *domain.AuthRequestInputs) { in.Claims = strings.Repeat("c", domain.MaxClaimsBytes+1) }, "claims exceed"},
		{"claims not UTF-8", func(in *domain.AuthRequestInputs) { in.Claims = "{\xff}" }, "claims are not valid UTF-8"},
		{"redirect over http", func(in *domain.AuthRequestInputs) { in.RedirectURI = "http://app.example/cb" }, "https"},
		{"prompt past its bound", func(in *domain.AuthRequestInputs) { in.Prompt = strings.Repeat("p", domain.MaxPromptBytes+1) }, "prompt exceeds"},
		{"prompt with a line break", func(in *domain.AuthRequestInputs) { in.Prompt = "login\nconsent" }, "prompt is not printable"},
		{"code challenge past its bound", func(in *domain.AuthRequestInputs) { in.CodeChallenge = strings.Repeat("c", domain.MaxPKCEBytes+1) }, "code challenge exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			tt.edit(&in)
			wantInvalidInput(t, "Check()", in.Check(), tt.want, "")
		})
	}
}

func TestCheckRefreshToken(t *testing.T) {
	if err := domain.CheckRefreshToken("0.AAAA-rt_~+/="); err != nil {
		t.Errorf("CheckRefreshToken = %v; want nil", err)
	}
	wantInvalidInput(t, "CheckRefreshToken(empty)", domain.CheckRefreshToken(""), "required", "")
	long := strings.Repeat("r", domain.MaxRefreshTokenBytes+1)
	wantInvalidInput(t, "CheckRefreshToken(long)", domain.CheckRefreshToken(domain.Secret(long)), "refresh token exceeds", long)
	wantInvalidInput(t, "CheckRefreshToken(line break)", domain.CheckRefreshToken("rt\nX: 1"), "printable", "rt\nX: 1")
}
