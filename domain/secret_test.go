package domain_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

const leak = "s3cr3t-VALUE-that-must-not-leak"

// holder is a caller's own struct that embeds a secret in an exported field.
type holder struct {
	Name  string
	Token domain.Secret
	N     int
}

// callerHolders are structs of a caller's own that hold a secret in an exported field:
// fmt and the slog text handler redact it, but the slog JSON handler marshals such a
// struct with encoding/json, which a Secret cannot tell apart from deliberate
// serialisation (see TestSecret_JSON_keepsValue).
func callerHolders() []any {
	return []any{holder{Name: "n", Token: leak}, &holder{Name: "n", Token: leak}}
}

// secretHolders returns a value of every domain type that holds a secret, each holding
// leak in every secret field.
func secretHolders() []any {
	at := domain.AccessToken{HomeAccountID: "u.t", Environment: "login.microsoftonline.com", ClientID: "c", Target: "a", Secret: leak}
	rt := domain.RefreshToken{HomeAccountID: "u.t", ClientID: "c", Secret: leak}
	idt := domain.IDToken{HomeAccountID: "u.t", ClientID: "c", Secret: leak}
	return []any{
		domain.Secret(leak),
		at, &at, rt, idt,
		domain.TokenResponse{AccessToken: leak, RefreshToken: leak, IDToken: leak, ExpiresIn: time.Hour},
		domain.AuthResult{AccessToken: leak, RefreshToken: leak, IDToken: leak, Account: domain.Account{Username: "alice"}},
		domain.AuthCodeFlow{State: "st", CodeVerifier: leak, Scopes: []string{"a"}},
		domain.PKCE{Verifier: leak, Challenge: "ch"},
		domain.AuthResponse{Code: leak, State: "st"},
		domain.TokenRequest{ClientID: "c", Code: leak, CodeVerifier: leak, Password: leak, RefreshToken: leak,
			Credential: domain.ClientCredential{Secret: leak}},
		domain.ClientCredential{Secret: leak},
		domain.CacheWrite{AccessToken: &at, RefreshToken: &rt, IDToken: &idt},
		domain.CacheEntries{AccessTokens: []domain.AccessToken{at}, RefreshTokens: []domain.RefreshToken{rt}, IDTokens: []domain.IDToken{idt}},
		domain.CacheSnapshot{AccessTokens: []domain.AccessToken{at}, RefreshTokens: []domain.RefreshToken{rt}, IDTokens: []domain.IDToken{idt}},
	}
}

func TestSecret_fmt_redacted(t *testing.T) {
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10v", "%-8s", "%T"}
	for _, v := range append(secretHolders(), callerHolders()...) {
		for _, verb := range verbs {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, leak) {
				t.Errorf("fmt.Sprintf(%q, %T) = %q; want the secret redacted", verb, v, got)
			}
		}
		if got := fmt.Sprint(v); strings.Contains(got, leak) {
			t.Errorf("fmt.Sprint(%T) = %q; want the secret redacted", v, got)
		}
	}
}

func TestSecret_Format_verbs(t *testing.T) {
	tests := []struct {
		format string
		s      domain.Secret
		want   string
	}{
		{format: "%v|%s|%q|%#v", s: leak, want: `[redacted]|[redacted]|"[redacted]"|"[redacted]"`},
		{format: "%12v|%-12s|", s: leak, want: "  [redacted]|[redacted]  |"},
		{format: "%v|%#v", s: "", want: `|""`},
		{format: "%d", s: leak, want: "%!d(string=[redacted])"},
	}
	for _, tt := range tests {
		args := make([]any, strings.Count(tt.format, "%"))
		for i := range args {
			args[i] = tt.s
		}
		if got := fmt.Sprintf(tt.format, args...); got != tt.want {
			t.Errorf("Sprintf(%q, Secret(%d bytes)...) = %q; want %q", tt.format, len(tt.s), got, tt.want)
		}
	}
	if got := fmt.Sprintf("%+v", holder{Name: "n", Token: leak}); got != "{Name:n Token:[redacted] N:0}" {
		t.Errorf("Sprintf(%%+v, holder) = %q; want %q", got, "{Name:n Token:[redacted] N:0}")
	}
}

func TestSecret_String_values(t *testing.T) {
	tests := []struct {
		s                  domain.Secret
		wantStr, wantGoStr string
	}{
		{s: "", wantStr: "", wantGoStr: `""`},
		{s: leak, wantStr: "[redacted]", wantGoStr: `"[redacted]"`},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.wantStr {
			t.Errorf("Secret(%d bytes).String() = %q; want %q", len(tt.s), got, tt.wantStr)
		}
		if got := tt.s.GoString(); got != tt.wantGoStr {
			t.Errorf("Secret(%d bytes).GoString() = %q; want %q", len(tt.s), got, tt.wantGoStr)
		}
		if got := tt.s.LogValue().String(); got != tt.wantStr {
			t.Errorf("Secret(%d bytes).LogValue() = %q; want %q", len(tt.s), got, tt.wantStr)
		}
	}
}

func TestSecret_slog_redacted(t *testing.T) {
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	}
	for name, newHandler := range handlers {
		t.Run(name, func(t *testing.T) {
			values := secretHolders()
			if name == "text" {
				values = append(values, callerHolders()...)
			}
			for _, v := range values {
				var b bytes.Buffer
				log := slog.New(newHandler(&b))
				log.Info("msg", "value", v)
				log.With("bound", v).Info("msg")
				log.Info("msg", slog.Group("g", slog.Any("nested", v)))
				if strings.Contains(b.String(), leak) {
					t.Errorf("slog %s output of %T = %s; want the secret redacted", name, v, b.String())
				}
				if !strings.Contains(b.String(), "value") {
					t.Errorf("slog %s output of %T = %s; want the attribute logged", name, v, b.String())
				}
			}
		})
	}
}

func TestSecret_JSON_keepsValue(t *testing.T) {
	// Secrets must survive deliberate serialisation (an AuthCodeFlow kept in a web
	// session); only fmt and slog redact.
	b, err := json.Marshal(domain.AuthCodeFlow{CodeVerifier: leak})
	if err != nil || !strings.Contains(string(b), leak) {
		t.Errorf("json.Marshal(AuthCodeFlow) = %s, %v; want the code verifier kept", b, err)
	}
}

func TestLogValue_keepsWhatIsNotSecret(t *testing.T) {
	at := domain.AccessToken{HomeAccountID: "u.t", Environment: "login.microsoftonline.com", ClientID: "c", Target: "a", Secret: leak}
	tests := []struct {
		value any
		want  []string
	}{
		{value: at, want: []string{`"value":"AccessToken(u.t-login.microsoftonline.com-accesstoken-c--a)"`}},
		{value: domain.TokenResponse{AccessToken: leak, ExpiresIn: time.Hour, FamilyID: "1"}, want: []string{`"access_token":"[redacted]"`, `"expires_in":3600000000000`, `"family_id":"1"`}},
		// The state and nonce are the flow's one-time values (issue 11's canaries): they log
		// as redacted, and the authorization URL, which carries them, without its query.
		{value: domain.AuthCodeFlow{State: "st", CodeVerifier: leak, AuthURI: "https://idp/authorize?state=st", RedirectURI: "https://app/cb"},
			want: []string{`"state":"[redacted]"`, `"code_verifier":"[redacted]"`, `"auth_uri":"https://idp/authorize"`, `"redirect_uri":"https://app/cb"`}},
		{value: domain.AuthResponse{Code: leak, Error: "access_denied"}, want: []string{`"code":"[redacted]"`, `"error":"access_denied"`}},
		{value: domain.CacheWrite{Partition: "p", AccessToken: &at, DeleteAccessTokens: [][6]string{{"accesstoken", "u.t", "login.microsoftonline.com", "c", "", "b"}}},
			want: []string{`"partition":"p"`, `"access_token":"u.t-login.microsoftonline.com-accesstoken-c--a"`, `"delete_access_tokens":["u.t-login.microsoftonline.com-accesstoken-c--b"]`}},
		{value: domain.CacheSnapshot{Accounts: make([]domain.Account, 2)}, want: []string{`"accounts":2`}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		slog.New(slog.NewJSONHandler(&b, nil)).Info("msg", "value", tt.value)
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("slog JSON of %T = %s; want it to contain %s", tt.value, b.String(), w)
			}
		}
	}
}
