package domain_test

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func TestRefreshOnFor_rules(t *testing.T) {
	cached := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		expiresIn time.Duration
		refreshIn time.Duration
		want      time.Time
	}{
		{name: "refresh_in on a short token", expiresIn: time.Hour, refreshIn: 10 * time.Minute, want: cached.Add(10 * time.Minute)},
		{name: "refresh_in wins over half-life", expiresIn: 24 * time.Hour, refreshIn: time.Hour, want: cached.Add(time.Hour)},
		{name: "half-life of a long token", expiresIn: 4 * time.Hour, want: cached.Add(2 * time.Hour)},
		{name: "exactly two hours", expiresIn: 2 * time.Hour, want: cached.Add(time.Hour)},
		{name: "one second under two hours", expiresIn: 2*time.Hour - time.Second, want: time.Time{}},
		{name: "one hour", expiresIn: time.Hour, want: time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.RefreshOnFor(cached, tt.expiresIn, tt.refreshIn); !got.Equal(tt.want) {
				t.Errorf("RefreshOnFor(t0, %v, %v) = %v; want %v", tt.expiresIn, tt.refreshIn, got, tt.want)
			}
		})
	}
}

func TestParseTokenResponse_success(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, r domain.TokenResponse)
	}{
		{name: "scope as a JSON array", body: `{"access_token":"at","scope":["openid","api://x/read"]}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				if !slices.Equal(r.Scope, []string{"api://x/read", "openid"}) {
					t.Errorf("Scope = %q; want [openid api://x/read]", r.Scope)
				}
			}},
		{name: "token_type bearer in lower case", body: `{"access_token":"at","token_type":"bearer"}`,
			check: func(t *testing.T, r domain.TokenResponse) { wantString(t, "TokenType", r.TokenType, "Bearer") }},
		{name: "token_type absent", body: `{"access_token":"at"}`,
			check: func(t *testing.T, r domain.TokenResponse) { wantString(t, "TokenType", r.TokenType, "Bearer") }},
		{name: "expires_in number", body: `{"access_token":"at","token_type":"Bearer","expires_in":3599}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				wantDuration(t, "ExpiresIn", r.ExpiresIn, 3599*time.Second)
			}},
		{name: "expires_in numeric string", body: `{"access_token":"at","expires_in":"3599"}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				wantDuration(t, "ExpiresIn", r.ExpiresIn, 3599*time.Second)
			}},
		{name: "expires_in exponent", body: `{"access_token":"at","expires_in":1.5e3}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				wantDuration(t, "ExpiresIn", r.ExpiresIn, 1500*time.Second)
			}},
		{name: "expires_in absent", body: `{"access_token":"at"}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				wantDuration(t, "ExpiresIn", r.ExpiresIn, 3600*time.Second)
			}},
		{name: "expires_in null", body: `{"access_token":"at","expires_in":null}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				wantDuration(t, "ExpiresIn", r.ExpiresIn, 3600*time.Second)
			}},
		{name: "expires_in exactly one year", body: `{"access_token":"at","expires_in":31536000}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				wantDuration(t, "ExpiresIn", r.ExpiresIn, domain.MaxTokenLifetime)
			}},
		{name: "token_type bearer", body: `{"access_token":"at","token_type":"bearer"}`,
			check: func(t *testing.T, r domain.TokenResponse) { wantString(t, "TokenType", r.TokenType, "Bearer") }},
		{name: "token_type absent", body: `{"access_token":"at"}`,
			check: func(t *testing.T, r domain.TokenResponse) { wantString(t, "TokenType", r.TokenType, "Bearer") }},
		{name: "scope absent", body: `{"access_token":"at"}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				if r.Scope != nil {
					t.Errorf("Scope = %q; want nil", r.Scope)
				}
			}},
		{name: "scope normalised", body: `{"access_token":"at","scope":"User.Read openid User.Read"}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				if !slices.Equal(r.Scope, []string{"User.Read", "openid"}) {
					t.Errorf("Scope = %q; want [User.Read openid]", r.Scope)
				}
			}},
		{name: "utf-8 byte order mark", body: "\xef\xbb\xbf" + `{"access_token":"at"}`,
			check: func(t *testing.T, r domain.TokenResponse) { wantString(t, "AccessToken", string(r.AccessToken), "at") }},
		{name: "entra fields kept", body: `{"access_token":"at","token_type":"Bearer","expires_in":"4000","ext_expires_in":"8000",
			"refresh_in":1800,"refresh_token":"rt","id_token":"idt","client_info":"ci","foci":"1","correlation_id":"cid"}`,
			check: func(t *testing.T, r domain.TokenResponse) {
				want := domain.TokenResponse{AccessToken: "at", TokenType: "Bearer", ExpiresIn: 4000 * time.Second,
					ExtExpiresIn: 8000 * time.Second, RefreshIn: 1800 * time.Second, RefreshToken: "rt", IDToken: "idt",
					ClientInfo: "ci", FamilyID: "1", CorrelationID: "cid"}
				if !equalTokenResponse(r, want) {
					t.Errorf("ParseTokenResponse = %#v; want %#v", r, want)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := domain.ParseTokenResponse(domain.GrantAuthorizationCode, 200, []byte(tt.body))
			if err != nil {
				t.Fatalf("ParseTokenResponse(200, %s) error = %v; want nil", tt.body, err)
			}
			if err := r.Validate(); err != nil {
				t.Errorf("Validate() of a parsed response = %v; want nil", err)
			}
			tt.check(t, r)
		})
	}
}

func equalTokenResponse(a, b domain.TokenResponse) bool { return reflect.DeepEqual(a, b) }

func wantDuration(t *testing.T, field string, got, want time.Duration) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v; want %v", field, got, want)
	}
}

func wantString(t *testing.T, field, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q; want %q", field, got, want)
	}
}

func TestParseTokenResponse_errors(t *testing.T) {
	const (
		ac      = domain.GrantAuthorizationCode
		refresh = domain.GrantRefreshToken
	)
	tests := []struct {
		name      string
		grant     domain.GrantKind
		status    int
		body      string
		wantClass domain.ErrorCode
		wantCode  string
	}{
		{name: "expires_in zero", grant: ac, status: 200, body: `{"access_token":"at","expires_in":0}`, wantClass: domain.ErrInvalidResponse},
		{name: "expires_in zero string", grant: ac, status: 200, body: `{"access_token":"at","expires_in":"0"}`, wantClass: domain.ErrInvalidResponse},
		{name: "expires_in negative", grant: ac, status: 200, body: `{"access_token":"at","expires_in":-10}`, wantClass: domain.ErrInvalidResponse},
		{name: "expires_in over one year", grant: ac, status: 200, body: `{"access_token":"at","expires_in":31536001}`, wantClass: domain.ErrInvalidResponse},
		{name: "expires_in absurd", grant: ac, status: 200, body: `{"access_token":"at","expires_in":1e300}`, wantClass: domain.ErrInvalidResponse},
		{name: "expires_in non-numeric", grant: ac, status: 200, body: `{"access_token":"at","expires_in":"soon"}`, wantClass: domain.ErrInvalidResponse},
		{name: "expires_in boolean", grant: ac, status: 200, body: `{"access_token":"at","expires_in":true}`, wantClass: domain.ErrInvalidResponse},
		{name: "ext_expires_in non-numeric", grant: ac, status: 200, body: `{"access_token":"at","ext_expires_in":"x"}`, wantClass: domain.ErrInvalidResponse},
		{name: "refresh_in negative", grant: ac, status: 200, body: `{"access_token":"at","refresh_in":-1}`, wantClass: domain.ErrInvalidResponse},
		{name: "missing access_token", grant: ac, status: 200, body: `{"token_type":"Bearer","expires_in":3600}`, wantClass: domain.ErrInvalidResponse},
		{name: "empty access_token", grant: ac, status: 200, body: `{"access_token":""}`, wantClass: domain.ErrInvalidResponse},
		{name: "null body", grant: ac, status: 200, body: `null`, wantClass: domain.ErrInvalidResponse},
		// DESIGN §5: an HTML page under a 200 is a provider fault, not a protocol violation.
		{name: "non-JSON 200", grant: ac, status: 200, body: `<html>Sign-in page</html>`, wantClass: domain.ErrUnavailable},
		{name: "empty 200", grant: ac, status: 200, body: ``, wantClass: domain.ErrUnavailable},
		{name: "JSON of the wrong shape 200", grant: ac, status: 200, body: `{"access_token":42}`, wantClass: domain.ErrInvalidResponse},
		{name: "token_type DPoP", grant: ac, status: 200, body: `{"access_token":"at","token_type":"DPoP"}`, wantClass: domain.ErrInvalidResponse},
		{name: "token_type mac", grant: ac, status: 200, body: `{"access_token":"at","token_type":"mac"}`, wantClass: domain.ErrInvalidResponse},
		{name: "token_type pop", grant: ac, status: 200, body: `{"access_token":"at","token_type":"pop"}`, wantClass: domain.ErrInvalidResponse},
		{name: "JSON array 200", grant: ac, status: 200, body: `[]`, wantClass: domain.ErrInvalidResponse},
		{name: "200 carrying error", grant: refresh, status: 200, body: `{"error":"invalid_grant","error_description":"AADSTS70008: expired"}`,
			wantClass: domain.ErrInteractionRequired, wantCode: "invalid_grant"},
		{name: "empty 400 on refresh", grant: refresh, status: 400, body: ``, wantClass: domain.ErrInteractionRequired},
		{name: "blank 400 on refresh", grant: refresh, status: 400, body: " \r\n", wantClass: domain.ErrInteractionRequired},
		{name: "empty 401 on refresh", grant: refresh, status: 401, body: ``, wantClass: domain.ErrInvalidClient},
		{name: "empty 403 on refresh", grant: refresh, status: 403, body: ``, wantClass: domain.ErrAccessDenied},
		{name: "html 400 on refresh", grant: refresh, status: 400, body: `<html>Sign-in page</html>`, wantClass: domain.ErrUnavailable},
		{name: "html 401 on refresh", grant: refresh, status: 401, body: `<html>Sign-in page</html>`, wantClass: domain.ErrUnavailable},
		{name: "html 429 on refresh", grant: refresh, status: 429, body: `<html>oops</html>`, wantClass: domain.ErrThrottled},
		{name: "html 400 on auth code", grant: ac, status: 400, body: `<html>oops</html>`, wantClass: domain.ErrUnavailable},
		{name: "invalid_request on refresh", grant: refresh, status: 400, body: `{"error":"invalid_request"}`, wantClass: domain.ErrInvalidClient, wantCode: "invalid_request"},
		{name: "unsupported_grant_type on refresh", grant: refresh, status: 400, body: `{"error":"unsupported_grant_type"}`, wantClass: domain.ErrInvalidClient, wantCode: "unsupported_grant_type"},
		{name: "unknown code on refresh", grant: refresh, status: 400, body: `{"error":"weird_code"}`, wantClass: domain.ErrInvalidGrant, wantCode: "weird_code"},
		{name: "empty 400 on auth code", grant: ac, status: 400, body: ``, wantClass: domain.ErrInvalidResponse},
		{name: "empty 401 on auth code", grant: ac, status: 401, body: ``, wantClass: domain.ErrInvalidClient},
		{name: "empty 403 on password", grant: domain.GrantPassword, status: 403, body: ``, wantClass: domain.ErrAccessDenied},
		{name: "empty JSON 400 on refresh", grant: refresh, status: 400, body: `{}`, wantClass: domain.ErrInteractionRequired},
		{name: "429", grant: ac, status: 429, body: ``, wantClass: domain.ErrThrottled},
		{name: "429 with a JSON error", grant: refresh, status: 429, body: `{"error":"invalid_grant"}`, wantClass: domain.ErrThrottled, wantCode: "invalid_grant"},
		{name: "500 html", grant: refresh, status: 500, body: `<html>oops</html>`, wantClass: domain.ErrUnavailable},
		{name: "503 temporarily_unavailable", grant: ac, status: 503, body: `{"error":"temporarily_unavailable"}`, wantClass: domain.ErrUnavailable, wantCode: "temporarily_unavailable"},
		{name: "502 empty", grant: domain.GrantClientCredentials, status: 502, body: ``, wantClass: domain.ErrUnavailable},
		{name: "invalid_client", grant: domain.GrantClientCredentials, status: 401, body: `{"error":"invalid_client"}`, wantClass: domain.ErrInvalidClient, wantCode: "invalid_client"},
		{name: "non-standard code kept", grant: domain.GrantPassword, status: 400, body: `{"error":"AADSTS_custom_thing"}`, wantClass: domain.ErrInvalidGrant, wantCode: "AADSTS_custom_thing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := domain.ParseTokenResponse(tt.grant, tt.status, []byte(tt.body))
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("ParseTokenResponse(%s, %d, %q) = %+v, %v; want a *domain.Error", tt.grant, tt.status, tt.body, r, err)
			}
			if de.Class != tt.wantClass || !errors.Is(err, tt.wantClass) {
				t.Errorf("Class = %q; want %q", de.Class, tt.wantClass)
			}
			if de.Code != tt.wantCode {
				t.Errorf("Code = %q; want %q", de.Code, tt.wantCode)
			}
			if de.HTTPStatus != tt.status {
				t.Errorf("HTTPStatus = %d; want %d", de.HTTPStatus, tt.status)
			}
			if r.AccessToken != "" {
				t.Errorf("AccessToken set on error; want an empty response")
			}
			if strings.Contains(err.Error(), "Sign-in page") || strings.Contains(err.Error(), "oops") {
				t.Errorf("error %q quotes the response body; want it described by status only", err)
			}
		})
	}
}

func TestParseTokenResponse_entraErrorFieldsKept(t *testing.T) {
	body := `{"error":"invalid_grant","error_description":"AADSTS50076: MFA required.","suberror":"basic_action",
		"error_codes":[50076,"65001"],"claims":"{\"access_token\":{\"capolids\":{\"essential\":true}}}",
		"correlation_id":"c0ffee00-1111-2222-3333-444455556666","trace_id":"7ace0000-aaaa-bbbb-cccc-ddddeeeeffff","timestamp":"2025-01-01 00:00:00Z"}`
	_, err := domain.ParseTokenResponse(domain.GrantRefreshToken, 400, []byte(body))
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("ParseTokenResponse error = %v; want a *domain.Error", err)
	}
	want := domain.Error{
		Class: domain.ErrInteractionRequired, Code: "invalid_grant", Description: "AADSTS50076: MFA required.",
		SubError: "basic_action", Claims: `{"access_token":{"capolids":{"essential":true}}}`,
		CorrelationID: "c0ffee00-1111-2222-3333-444455556666", TraceID: "7ace0000-aaaa-bbbb-cccc-ddddeeeeffff", HTTPStatus: 400,
		Timestamp: "2025-01-01 00:00:00Z",
	}
	want.ErrorCodes = []int{50076, 65001}
	if !reflect.DeepEqual(*de, want) {
		t.Errorf("error = %+v; want %+v", *de, want)
	}
	if !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("errors.Is(err, ErrInvalidGrant) = false; want true for a refused refresh token")
	}
}

// A provider that fills every error field with junk must not make the error, or its
// message, as large as the response body.
func TestParseErrorResponse_boundsWhatItKeeps(t *testing.T) {
	junk := strings.Repeat("x", 200_000)
	codes := strings.TrimSuffix(strings.Repeat("50076,", 10_000), ",")
	body := `{"error":"invalid_grant` + junk + `","error_description":"` + junk + `","suberror":"` + junk +
		`","correlation_id":"` + junk + `","trace_id":"` + junk + `","timestamp":"` + junk + `","error_codes":[` + codes + `]}`
	de := domain.ParseErrorResponse(domain.GrantRefreshToken, 400, []byte(body))
	if de == nil {
		t.Fatal("ParseErrorResponse = nil; want an error")
	}
	if n := len(de.Error()); n > 2000 {
		t.Errorf("Error() is %d bytes; want it bounded (under 2000)", n)
	}
	for name, v := range map[string]string{"Code": de.Code, "SubError": de.SubError, "CorrelationID": de.CorrelationID, "TraceID": de.TraceID, "Timestamp": de.Timestamp} {
		if len(v) > 200 {
			t.Errorf("%s keeps %d bytes; want at most a short prefix", name, len(v))
		}
	}
	if len(de.Description) > 5000 || len(de.ErrorCodes) > 32 {
		t.Errorf("keeps a %d-byte description and %d error codes; want them bounded", len(de.Description), len(de.ErrorCodes))
	}
}

func TestParseTokenResponse_secretsNotInError(t *testing.T) {
	const at, rt = "AT-d2VsbCBkb25lIHlvdSBmb3VuZCBpdA", "RT-c2VjcmV0IHJlZnJlc2ggdG9rZW4"
	bodies := []struct {
		status int
		body   string
	}{
		{400, `{"error":"invalid_grant","access_token":"` + at + `","refresh_token":"` + rt + `"}`},
		{200, `{"access_token":"` + at + `","refresh_token":"` + rt + `","expires_in":-1}`},
		{200, `{"access_token":"` + at + `","refresh_token":"` + rt + `","expires_in":"never"}`},
		{200, `{"access_token":"` + at + `","refresh_token":"` + rt + `", broken`},
		{500, `{"access_token":"` + at + `","refresh_token":"` + rt + `", broken`},
	}
	for _, b := range bodies {
		_, err := domain.ParseTokenResponse(domain.GrantRefreshToken, b.status, []byte(b.body))
		if err == nil {
			t.Fatalf("ParseTokenResponse(%d, ...) error = nil; want an error", b.status)
		}
		if msg := err.Error(); strings.Contains(msg, at) || strings.Contains(msg, rt) {
			t.Errorf("ParseTokenResponse(%d) error %q contains a token", b.status, msg)
		}
	}
}

func TestParseErrorResponse_errorBodies(t *testing.T) {
	if e := domain.ParseErrorResponse(domain.GrantPassword, 400, []byte(`{"access_token":"x"}`)); e != nil {
		t.Errorf("ParseErrorResponse of a body without error = %v; want nil", e)
	}
	if e := domain.ParseErrorResponse(domain.GrantPassword, 400, []byte(`not json`)); e != nil {
		t.Errorf("ParseErrorResponse of a non-JSON body = %v; want nil", e)
	}
	e := domain.ParseErrorResponse(domain.GrantPassword, 400, []byte(`{"error":"invalid_grant","error_description":"bad password","correlation_id":"cid"}`))
	if e == nil || e.Class != domain.ErrInvalidGrant || e.Description != "bad password" || e.CorrelationID != "cid" || e.HTTPStatus != 400 {
		t.Errorf("ParseErrorResponse = %+v; want invalid_grant with description, correlation id and status 400", e)
	}
}

func TestNormalizeTokenType_values(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "Bearer"}, {"bearer", "Bearer"}, {"BEARER", "Bearer"}, {"Bearer", "Bearer"},
		{"pop", "pop"}, {"PoP", "pop"}, {"DPoP", "DPoP"},
	}
	for _, tt := range tests {
		if got := domain.NormalizeTokenType(tt.in); got != tt.want {
			t.Errorf("NormalizeTokenType(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenResponse_Validate(t *testing.T) {
	ok := domain.TokenResponse{AccessToken: "at", ExpiresIn: time.Hour}
	tests := []struct {
		name    string
		mutate  func(*domain.TokenResponse)
		wantErr bool
	}{
		{name: "valid", mutate: func(*domain.TokenResponse) {}},
		{name: "no access token", mutate: func(r *domain.TokenResponse) { r.AccessToken = "" }, wantErr: true},
		{name: "zero lifetime", mutate: func(r *domain.TokenResponse) { r.ExpiresIn = 0 }, wantErr: true},
		{name: "lifetime over max", mutate: func(r *domain.TokenResponse) { r.ExpiresIn = domain.MaxTokenLifetime + time.Second }, wantErr: true},
		{name: "negative refresh_in", mutate: func(r *domain.TokenResponse) { r.RefreshIn = -time.Second }, wantErr: true},
		{name: "negative ext_expires_in", mutate: func(r *domain.TokenResponse) { r.ExtExpiresIn = -time.Second }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mutate(&r)
			err := r.Validate()
			if tt.wantErr != (err != nil) || (err != nil && !errors.Is(err, domain.ErrInvalidResponse)) {
				t.Errorf("Validate() = %v; want error %v (ErrInvalidResponse)", err, tt.wantErr)
			}
		})
	}
}

// TestParseTokenResponse_emptyScopeIsAnEmptyGrant: a "scope" present is the granted
// set even when empty (RFC 6749 §3.3, §5.1; ADR 0019); only an absent or null one
// means the requested set.
func TestParseTokenResponse_emptyScopeIsAnEmptyGrant(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		absent     bool
	}{
		{"empty string", `{"access_token":"a","scope":""}`, false},
		{"blank string", `{"access_token":"a","scope":"  "}`, false},
		{"empty array", `{"access_token":"a","scope":[]}`, false},
		{"not a string or an array", `{"access_token":"a","scope":5}`, false},
		{"null", `{"access_token":"a","scope":null}`, true},
		{"absent", `{"access_token":"a"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := domain.ParseTokenResponse(domain.GrantPassword, 200, []byte(tc.body))
			if err != nil {
				t.Fatalf("ParseTokenResponse = %v; want success", err)
			}
			if got := r.Scope == nil; got != tc.absent || len(r.Scope) != 0 {
				t.Errorf("Scope = %#v; want absent (nil) %v, and no scope", r.Scope, tc.absent)
			}
		})
	}
}

func TestParseTokenResponse_tolerantFields(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		wantScope []string
		wantFoci  string
		wantCodes []int
	}{

		{name: "numeric foci", status: 200, body: `{"access_token":"a","foci":1,"scope":"x"}`, wantScope: []string{"x"}, wantFoci: "1"},
		{name: "scalar error_codes", status: 400, body: `{"error":"invalid_grant","error_codes":"50076"}`, wantCodes: []int{50076}},
		{name: "garbage error_codes", status: 400, body: `{"error":"invalid_grant","error_codes":{"x":1}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := domain.ParseTokenResponse(domain.GrantPassword, tc.status, []byte(tc.body))
			if tc.status == 200 {
				if err != nil {
					t.Fatalf("ParseTokenResponse = %v; want success", err)
				}
				if !slices.Equal(r.Scope, tc.wantScope) || r.FamilyID != tc.wantFoci {
					t.Fatalf("scope %v foci %q; want %v %q", r.Scope, r.FamilyID, tc.wantScope, tc.wantFoci)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != "invalid_grant" {
				t.Fatalf("error = %v; want the provider's invalid_grant kept", err)
			}
			if !slices.Equal(de.ErrorCodes, tc.wantCodes) && !(len(de.ErrorCodes) == 0 && len(tc.wantCodes) == 0) {
				t.Fatalf("ErrorCodes = %v; want %v", de.ErrorCodes, tc.wantCodes)
			}
		})
	}
}

// An empty-bodied refusal names the status and the grant: nothing else says what failed.
func TestParseTokenResponse_emptyBodyNamesStatusAndGrant(t *testing.T) {
	for _, tt := range []struct {
		grant  domain.GrantKind
		status int
	}{{domain.GrantAuthorizationCode, 400}, {domain.GrantClientCredentials, 401}, {domain.GrantPassword, 403}} {
		_, err := domain.ParseTokenResponse(tt.grant, tt.status, nil)
		if err == nil {
			t.Fatalf("ParseTokenResponse(%s, %d, empty) = nil error", tt.grant, tt.status)
		}
		msg := err.Error()
		if !strings.Contains(msg, strconv.Itoa(tt.status)) || !strings.Contains(msg, string(tt.grant)) {
			t.Errorf("ParseTokenResponse(%s, %d, empty) error %q; want the status and the grant named", tt.grant, tt.status, msg)
		}
	}
}
