package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// rfc7636Octets are the 32 random octets of RFC 7636 Appendix B.
var rfc7636Octets = []byte{116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
	22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121}

const (
	rfc7636Verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfc7636Challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestS256Challenge_rfc7636AppendixB(t *testing.T) {
	if got := domain.S256Challenge(rfc7636Verifier); got != rfc7636Challenge {
		t.Errorf("S256Challenge(%q) = %q; want %q", rfc7636Verifier, got, rfc7636Challenge)
	}
}

func TestNewPKCE_rfc7636AppendixB(t *testing.T) {
	p, err := domain.NewPKCE(bytes.NewReader(rfc7636Octets))
	if err != nil || string(p.Verifier) != rfc7636Verifier || p.Challenge != rfc7636Challenge {
		t.Errorf("NewPKCE(RFC 7636 octets) = %d-char verifier, %q, %v; want the RFC's verifier and %q", len(p.Verifier), p.Challenge, err, rfc7636Challenge)
	}
}

func TestNewPKCE_verifierShape(t *testing.T) {
	a, err := domain.NewPKCE(bytes.NewReader(bytes.Repeat([]byte{0xfb}, 32)))
	if err != nil {
		t.Fatalf("NewPKCE error = %v; want nil", err)
	}
	if len(a.Verifier) != 43 || len(a.Challenge) != 43 {
		t.Errorf("len(verifier), len(challenge) = %d, %d; want 43, 43", len(a.Verifier), len(a.Challenge))
	}
	if strings.ContainsAny(string(a.Verifier), "+/=") || a.Challenge != domain.S256Challenge(string(a.Verifier)) {
		t.Errorf("verifier is not unpadded base64url or challenge is not its S256")
	}
	b, _ := domain.NewPKCE(bytes.NewReader(bytes.Repeat([]byte{0x01}, 32)))
	if a.Verifier == b.Verifier {
		t.Errorf("NewPKCE from different random bytes gave the same verifier")
	}
}

func TestNewPKCE_shortRandom(t *testing.T) {
	for name, r := range map[string]*bytes.Reader{"empty": bytes.NewReader(nil), "31 bytes": bytes.NewReader(make([]byte, 31))} {
		if _, err := domain.NewPKCE(r); !errors.As(err, new(*domain.Error)) {
			t.Errorf("NewPKCE(%s reader) error = %v; want a *domain.Error", name, err)
		}
	}
	if _, err := domain.RandomString(iotest.ErrReader(errors.New("no entropy")), 16); err == nil {
		t.Errorf("RandomString(failing reader) error = nil; want an error")
	}
}

func TestRandomString_length(t *testing.T) {
	s, err := domain.RandomString(bytes.NewReader(make([]byte, 16)), 16)
	if err != nil || len(s) != 22 {
		t.Errorf("RandomString(16 bytes) = %q (%d chars), %v; want 22 chars, nil", s, len(s), err)
	}
}

func TestConstantTimeEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{{"", "", true}, {"abc", "abc", true}, {"abc", "abd", false}, {"abc", "ab", false}, {"", "a", false}}
	for _, tt := range tests {
		if got := domain.ConstantTimeEqual(tt.a, tt.b); got != tt.want {
			t.Errorf("ConstantTimeEqual(%q, %q) = %v; want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

var flowCreated = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// authURI returns an authorization URL carrying the flow's parameters.
func authURI(state, nonce, redirect, challenge, method string) string {
	q := url.Values{"client_id": {"client"}, "response_type": {"code"}, "scope": {"openid User.Read"},
		"state": {state}, "nonce": {nonce}, "redirect_uri": {redirect},
		"code_challenge": {challenge}, "code_challenge_method": {method}}
	return "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?" + q.Encode()
}

// flowWithVerifier builds a consistent flow by hand around verifier.
func flowWithVerifier(verifier string) domain.AuthCodeFlow {
	const state, nonce, redirect = "state-123", "nonce-456", "http://localhost:8400/callback"
	return domain.AuthCodeFlow{
		AuthURI: authURI(state, nonce, redirect, domain.S256Challenge(verifier), "S256"),
		State:   state, Nonce: nonce, CodeVerifier: domain.Secret(verifier), RedirectURI: redirect,
		Scopes: []string{"User.Read"}, Authority: "https://login.microsoftonline.com/common", CreatedAt: flowCreated,
	}
}

func testFlow() domain.AuthCodeFlow { return flowWithVerifier(rfc7636Verifier) }

func TestAuthCodeFlow_CheckIntegrity(t *testing.T) {
	now := flowCreated.Add(time.Minute)
	other := "another-verifier-of-valid-length-0123456789abcdef"
	tests := []struct {
		name    string
		flow    func() domain.AuthCodeFlow
		now     time.Time
		maxAge  time.Duration
		wantErr bool
	}{
		{name: "valid", flow: testFlow, now: now},
		{name: "missing auth uri", flow: mutate(func(f *domain.AuthCodeFlow) { f.AuthURI = "" }), now: now, wantErr: true},
		{name: "missing state", flow: mutate(func(f *domain.AuthCodeFlow) { f.State = "" }), now: now, wantErr: true},
		{name: "missing nonce", flow: mutate(func(f *domain.AuthCodeFlow) { f.Nonce = "" }), now: now, wantErr: true},
		{name: "missing verifier", flow: mutate(func(f *domain.AuthCodeFlow) { f.CodeVerifier = "" }), now: now, wantErr: true},
		{name: "missing redirect", flow: mutate(func(f *domain.AuthCodeFlow) { f.RedirectURI = "" }), now: now, wantErr: true},
		{name: "no scopes: a sign-in for an ID token only", flow: mutate(func(f *domain.AuthCodeFlow) { f.Scopes = nil }), now: now, wantErr: false},
		{name: "missing created at", flow: mutate(func(f *domain.AuthCodeFlow) { f.CreatedAt = time.Time{} }), now: now, wantErr: true},
		{name: "at default max age", flow: testFlow, now: flowCreated.Add(domain.DefaultFlowMaxAge)},
		{name: "past default max age", flow: testFlow, now: flowCreated.Add(domain.DefaultFlowMaxAge + time.Second), wantErr: true},
		{name: "past custom max age", flow: testFlow, now: flowCreated.Add(2 * time.Minute), maxAge: time.Minute, wantErr: true},
		{name: "within custom max age", flow: testFlow, now: flowCreated.Add(time.Hour), maxAge: 2 * time.Hour},
		{name: "created in the future", flow: testFlow, now: flowCreated.Add(-10 * time.Minute), wantErr: true},
		{name: "created slightly ahead of our clock", flow: testFlow, now: flowCreated.Add(-time.Minute)},
		{name: "verifier of 42 chars", flow: func() domain.AuthCodeFlow { return flowWithVerifier(strings.Repeat("v", 42)) }, now: now, wantErr: true},
		{name: "verifier of 128 chars", flow: func() domain.AuthCodeFlow { return flowWithVerifier(strings.Repeat("v", 128)) }, now: now},
		{name: "verifier of 129 chars", flow: func() domain.AuthCodeFlow { return flowWithVerifier(strings.Repeat("v", 129)) }, now: now, wantErr: true},
		{name: "tampered state", flow: mutate(func(f *domain.AuthCodeFlow) { f.State = "attacker-state" }), now: now, wantErr: true},
		{name: "tampered nonce", flow: mutate(func(f *domain.AuthCodeFlow) { f.Nonce = "attacker-nonce" }), now: now, wantErr: true},
		{name: "tampered redirect", flow: mutate(func(f *domain.AuthCodeFlow) { f.RedirectURI = "https://evil.example/cb" }), now: now, wantErr: true},
		{name: "added scope", flow: mutate(func(f *domain.AuthCodeFlow) { f.Scopes = []string{"User.Read", "Mail.Send"} }), now: now, wantErr: true},
		{name: "swapped scope", flow: mutate(func(f *domain.AuthCodeFlow) { f.Scopes = []string{"Mail.Send"} }), now: now, wantErr: true},
		{name: "added claims challenge", flow: mutate(func(f *domain.AuthCodeFlow) { f.ClaimsChallenge = `{"id_token":{"acrs":{"essential":true}}}` }), now: now, wantErr: true},
		{name: "tampered verifier", flow: mutate(func(f *domain.AuthCodeFlow) { f.CodeVerifier = domain.Secret(other) }), now: now, wantErr: true},
		{name: "plain challenge method", flow: mutate(func(f *domain.AuthCodeFlow) {
			f.AuthURI = authURI(f.State, f.Nonce, f.RedirectURI, domain.S256Challenge(string(f.CodeVerifier)), "plain")
		}), now: now, wantErr: true},
		{name: "challenge method missing", flow: mutate(func(f *domain.AuthCodeFlow) {
			f.AuthURI = authURI(f.State, f.Nonce, f.RedirectURI, domain.S256Challenge(string(f.CodeVerifier)), "")
		}), now: now, wantErr: true},
		{name: "unparsable auth uri", flow: mutate(func(f *domain.AuthCodeFlow) { f.AuthURI = "https://x/%zz" }), now: now, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.flow().CheckIntegrity(tt.now, tt.maxAge)
			if !tt.wantErr {
				if err != nil {
					t.Errorf("CheckIntegrity = %v; want nil", err)
				}
				return
			}
			var de *domain.Error
			if !errors.Is(err, domain.ErrInvalidFlow) || !errors.As(err, &de) {
				t.Errorf("CheckIntegrity = %v; want a *domain.Error of ErrInvalidFlow", err)
			}
			if err != nil && strings.Contains(err.Error(), rfc7636Verifier) {
				t.Errorf("CheckIntegrity error %q quotes the code verifier", err)
			}
		})
	}
}

func mutate(f func(*domain.AuthCodeFlow)) func() domain.AuthCodeFlow {
	return func() domain.AuthCodeFlow {
		flow := testFlow()
		f(&flow)
		return flow
	}
}

func TestAuthCodeFlow_JSONRoundTrip(t *testing.T) {
	b, err := json.Marshal(testFlow())
	if err != nil {
		t.Fatalf("json.Marshal(flow) error = %v", err)
	}
	var back domain.AuthCodeFlow
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("json.Unmarshal error = %v", err)
	}
	if back.CodeVerifier != rfc7636Verifier || !back.CreatedAt.Equal(flowCreated) {
		t.Errorf("round-tripped flow lost its verifier or creation time")
	}
	if err := back.CheckIntegrity(flowCreated.Add(time.Minute), 0); err != nil {
		t.Errorf("CheckIntegrity of the round-tripped flow = %v; want nil", err)
	}
}

func TestParseAuthResponse_fields(t *testing.T) {
	v := url.Values{"code": {"c"}, "state": {"s"}, "iss": {"i"}, "error": {"e"}, "error_description": {"d"},
		"error_uri": {"u"}, "suberror": {"se"}}
	want := domain.AuthResponse{Code: "c", State: "s", Issuer: "i", Error: "e", ErrorDescription: "d", ErrorURI: "u", SubError: "se"}
	if got := domain.ParseAuthResponse(v); got != want {
		t.Errorf("ParseAuthResponse = %#v; want %#v", got, want)
	}
}

func TestParseAuthResponseStrict(t *testing.T) {
	const code = "SplxlOBeZQQYbYS6WxSbIA-the-code"
	tests := []struct {
		name      string
		query     string
		wantClass domain.ErrorCode // "" for success
		wantText  string
	}{
		{name: "valid", query: "state=state-123&code=" + code + "&session_state=x&iss=https%3A%2F%2Fidp"},
		{name: "valid error response", query: "state=state-123&error=access_denied&error_description=no"},
		{name: "unknown parameter repeated is ignored", query: "state=state-123&code=" + code + "&foo=1&foo=2"},
		{name: "state at its bound", query: "state=" + strings.Repeat("s", domain.MaxStateBytes) + "&code=" + code},
		{name: "code at its bound", query: "state=s&code=" + strings.Repeat("c", domain.MaxCodeBytes)},
		{name: "state past its bound", query: "state=" + strings.Repeat("s", domain.MaxStateBytes+1) + "&code=" + code, wantClass: domain.ErrStateMismatch, wantText: "4096"},
		{name: "state with a line break", query: "state=a%0Ab&code=" + code, wantClass: domain.ErrStateMismatch, wantText: "printable"},
		{name: "state not ASCII", query: "state=%C3%A9&code=" + code, wantClass: domain.ErrStateMismatch, wantText: "printable"},
		{name: "code past its bound", query: "state=s&code=" + strings.Repeat("c", domain.MaxCodeBytes+1), wantClass: domain.ErrInvalidResponse, wantText: "4096"},
		{name: "code with a control byte", query: "state=s&code=a%7Fb", wantClass: domain.ErrInvalidResponse, wantText: "printable"},
	}
	for _, p := range []string{"code", "state", "iss", "error", "error_description", "error_uri", "suberror", "session_state", "client_info"} {
		tests = append(tests, struct {
			name      string
			query     string
			wantClass domain.ErrorCode
			wantText  string
		}{name: p + " repeated", query: "state=state-123&code=" + code + "&" + p + "=one&" + p + "=one", wantClass: domain.ErrStateMismatch, wantText: "repeats the parameter " + p})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatalf("url.ParseQuery error = %v", err)
			}
			r, err := domain.ParseAuthResponseStrict(v)
			if tt.wantClass == "" {
				if err != nil || r != domain.ParseAuthResponse(v) {
					t.Errorf("ParseAuthResponseStrict(%.80s) = %+v, %v; want the response, nil", tt.query, r, err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Class != tt.wantClass {
				t.Fatalf("ParseAuthResponseStrict(%.80s) = %v; want a *domain.Error of class %q", tt.query, err, tt.wantClass)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("ParseAuthResponseStrict error %q; want it to mention %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), code) || strings.Contains(err.Error(), "sss") || strings.Contains(err.Error(), "ccc") || strings.Contains(err.Error(), "one") {
				t.Errorf("ParseAuthResponseStrict error %q quotes a value", err)
			}
		})
	}
}

func TestAuthCodeFlow_CheckAuthResponse_order(t *testing.T) {
	const code, iss = "SplxlOBeZQQYbYS6WxSbIA-the-code", "https://login.microsoftonline.com/tid/v2.0"
	flow := testFlow()
	tests := []struct {
		name      string
		query     string
		required  bool
		issuer    string
		wantClass domain.ErrorCode // "" for success
		wantText  string
	}{
		{name: "valid", query: "state=state-123&code=" + code, issuer: iss},
		{name: "valid without issuer", query: "state=state-123&code=" + code},
		{name: "state mismatch", query: "state=other&code=" + code, wantClass: domain.ErrStateMismatch},
		{name: "state missing", query: "code=" + code, wantClass: domain.ErrStateMismatch},
		{name: "state prefix", query: "state=state-12&code=" + code, wantClass: domain.ErrStateMismatch},
		{name: "state checked before error", query: "state=other&error=access_denied", wantClass: domain.ErrStateMismatch},
		{name: "access denied", query: "state=state-123&error=access_denied&error_description=User+declined", wantClass: domain.ErrAccessDenied, wantText: "User declined"},
		{name: "login required", query: "state=state-123&error=login_required", wantClass: domain.ErrInteractionRequired},
		{name: "error beats code", query: "state=state-123&error=server_error&code=" + code, wantClass: domain.ErrUnavailable},
		{name: "error with a foreign iss is an issuer mismatch", query: "state=state-123&error=access_denied&iss=https://evil", issuer: iss, wantClass: domain.ErrInvalidResponse, wantText: "iss"},
		{name: "error without a required iss is an issuer mismatch", query: "state=state-123&error=access_denied", issuer: iss, required: true, wantClass: domain.ErrInvalidResponse, wantText: "iss"},
		{name: "error with the right iss is the provider's", query: "state=state-123&error=access_denied&iss=" + url.QueryEscape(iss), issuer: iss, required: true, wantClass: domain.ErrAccessDenied},
		{name: "error without iss where none is required is the provider's", query: "state=state-123&error=access_denied", issuer: iss, wantClass: domain.ErrAccessDenied},
		{name: "code past its bound", query: "state=state-123&code=" + strings.Repeat("c", domain.MaxCodeBytes+1), wantClass: domain.ErrInvalidResponse, wantText: "4096"},
		{name: "code with a control byte", query: "state=state-123&code=ab%00cd", wantClass: domain.ErrInvalidResponse, wantText: "printable"},
		{name: "iss matches", query: "state=state-123&iss=" + url.QueryEscape(iss) + "&code=" + code, issuer: iss},
		{name: "iss wrong", query: "state=state-123&iss=https://evil.example&code=" + code, issuer: iss, wantClass: domain.ErrInvalidResponse, wantText: "iss"},
		{name: "iss present, issuer unknown", query: "state=state-123&iss=" + url.QueryEscape(iss) + "&code=" + code, wantClass: domain.ErrInvalidResponse, wantText: "iss"},
		{name: "iss required and absent", query: "state=state-123&code=" + code, issuer: iss, required: true, wantClass: domain.ErrInvalidResponse, wantText: "iss"},
		{name: "iss required and present", query: "state=state-123&iss=" + url.QueryEscape(iss) + "&code=" + code, issuer: iss, required: true},
		{name: "iss checked before code", query: "state=state-123&iss=https://evil.example", issuer: iss, wantClass: domain.ErrInvalidResponse, wantText: "iss"},
		{name: "code missing", query: "state=state-123", issuer: iss, wantClass: domain.ErrInvalidResponse, wantText: "no code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatalf("url.ParseQuery(%q) error = %v", tt.query, err)
			}
			err = flow.CheckAuthResponse(domain.ParseAuthResponse(v), tt.issuer, tt.required)
			if tt.wantClass == "" {
				if err != nil {
					t.Errorf("CheckAuthResponse(%s) = %v; want nil", tt.query, err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Class != tt.wantClass {
				t.Fatalf("CheckAuthResponse(%s) = %v; want a *domain.Error of class %q", tt.query, err, tt.wantClass)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("CheckAuthResponse(%s) = %q; want it to mention %q", tt.query, err, tt.wantText)
			}
			if strings.Contains(err.Error(), code) || strings.Contains(err.Error(), rfc7636Verifier) {
				t.Errorf("CheckAuthResponse error %q quotes the code or the verifier", err)
			}
		})
	}
}
