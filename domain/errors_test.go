package domain_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hexauth/hexauth/domain"
)

func TestClassify_table(t *testing.T) {
	const (
		ac      = domain.GrantAuthorizationCode
		pw      = domain.GrantPassword
		refresh = domain.GrantRefreshToken
		cc      = domain.GrantClientCredentials
	)
	tests := []struct {
		name   string
		grant  domain.GrantKind
		code   string
		sub    string
		codes  []int
		status int
		want   domain.ErrorCode
	}{
		{name: "interaction_required", grant: ac, code: "interaction_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "login_required", grant: ac, code: "login_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "consent_required", grant: refresh, code: "consent_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "consent_required on auth code", grant: ac, code: "consent_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "consent_required on password", grant: pw, code: "consent_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "consent_required in an authorization response", grant: ac, code: "consent_required", want: domain.ErrInteractionRequired},
		{name: "consent_required on 403", grant: cc, code: "consent_required", status: 403, want: domain.ErrInteractionRequired},
		{name: "account_selection_required", grant: ac, code: "account_selection_required", want: domain.ErrInteractionRequired},
		{name: "mfa_required", grant: pw, code: "mfa_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror basic_action", grant: pw, code: "invalid_grant", sub: "basic_action", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror additional_action", grant: pw, code: "invalid_grant", sub: "additional_action", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror message_only", grant: ac, code: "invalid_grant", sub: "message_only", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror consent_required", grant: ac, code: "invalid_grant", sub: "consent_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror consent_required on password", grant: pw, code: "invalid_grant", sub: "consent_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror user_password_expired", grant: pw, code: "invalid_grant", sub: "user_password_expired", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror bad_token", grant: pw, code: "invalid_grant", sub: "bad_token", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror token_expired", grant: pw, code: "invalid_grant", sub: "token_expired", status: 400, want: domain.ErrInteractionRequired},
		{name: "unknown suberror", grant: pw, code: "invalid_grant", sub: "client_mismatch", status: 400, want: domain.ErrInvalidGrant},
		{name: "AADSTS50076 MFA", grant: pw, code: "invalid_grant", codes: []int{50076}, status: 400, want: domain.ErrInteractionRequired},
		{name: "AADSTS65001 consent", grant: ac, code: "invalid_grant", codes: []int{65001}, status: 400, want: domain.ErrInteractionRequired},
		{name: "AADSTS53003 conditional access among others", grant: ac, code: "invalid_grant", codes: []int{90000, 53003}, status: 400, want: domain.ErrInteractionRequired},
		{name: "other AADSTS code", grant: pw, code: "invalid_grant", codes: []int{50126}, status: 400, want: domain.ErrInvalidGrant},
		{name: "invalid_grant on refresh", grant: refresh, code: "invalid_grant", status: 400, want: domain.ErrInteractionRequired},
		{name: "invalid_grant on auth code", grant: ac, code: "invalid_grant", status: 400, want: domain.ErrInvalidGrant},
		{name: "invalid_grant on password", grant: pw, code: "invalid_grant", status: 400, want: domain.ErrInvalidGrant},
		{name: "invalid_client", grant: cc, code: "invalid_client", status: 401, want: domain.ErrInvalidClient},
		{name: "invalid_client on refresh", grant: refresh, code: "invalid_client", status: 401, want: domain.ErrInvalidClient},
		{name: "unauthorized_client", grant: ac, code: "unauthorized_client", status: 400, want: domain.ErrInvalidClient},
		{name: "invalid_scope", grant: cc, code: "invalid_scope", status: 400, want: domain.ErrInvalidScope},
		{name: "invalid_scope on refresh: a scope beyond the grant", grant: refresh, code: "invalid_scope", status: 400, want: domain.ErrInteractionRequired},
		{name: "invalid_scope on auth code", grant: ac, code: "invalid_scope", status: 400, want: domain.ErrInvalidScope},
		{name: "access_denied", grant: ac, code: "access_denied", status: 400, want: domain.ErrAccessDenied},
		{name: "temporarily_unavailable", grant: ac, code: "temporarily_unavailable", status: 400, want: domain.ErrUnavailable},
		{name: "server_error", grant: ac, code: "server_error", want: domain.ErrUnavailable},
		{name: "slow_down", grant: ac, code: "slow_down", status: 400, want: domain.ErrThrottled},
		{name: "429", grant: pw, status: 429, want: domain.ErrThrottled},
		{name: "429 beats invalid_grant", grant: refresh, code: "invalid_grant", status: 429, want: domain.ErrThrottled},
		{name: "500", grant: pw, status: 500, want: domain.ErrUnavailable},
		{name: "503", grant: refresh, status: 503, want: domain.ErrUnavailable},
		{name: "interaction code beats 500", grant: refresh, code: "interaction_required", status: 500, want: domain.ErrInteractionRequired},
		{name: "empty 400 on refresh", grant: refresh, status: 400, want: domain.ErrInteractionRequired},
		{name: "empty 401 on refresh", grant: refresh, status: 401, want: domain.ErrInvalidClient},
		{name: "empty 403 on refresh", grant: refresh, status: 403, want: domain.ErrAccessDenied},
		{name: "empty 404 on refresh", grant: refresh, status: 404, want: domain.ErrInvalidResponse},
		{name: "invalid_grant on a 401 refresh", grant: refresh, code: "invalid_grant", status: 401, want: domain.ErrInteractionRequired},
		{name: "expired refresh token AADSTS70008", grant: refresh, code: "invalid_grant", codes: []int{70008}, status: 400, want: domain.ErrInteractionRequired},
		{name: "interaction_required on refresh", grant: refresh, code: "interaction_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "login_required on refresh", grant: refresh, code: "login_required", status: 400, want: domain.ErrInteractionRequired},
		{name: "suberror basic_action on refresh", grant: refresh, code: "invalid_grant", sub: "basic_action", status: 400, want: domain.ErrInteractionRequired},
		{name: "unauthorized_client on refresh", grant: refresh, code: "unauthorized_client", status: 400, want: domain.ErrInvalidClient},
		{name: "unsupported_grant_type on refresh", grant: refresh, code: "unsupported_grant_type", status: 400, want: domain.ErrInvalidClient},
		{name: "invalid_request on refresh", grant: refresh, code: "invalid_request", status: 400, want: domain.ErrInvalidClient},
		{name: "invalid_request on auth code", grant: ac, code: "invalid_request", status: 400, want: domain.ErrInvalidClient},
		{name: "unsupported_grant_type on password", grant: pw, code: "unsupported_grant_type", status: 400, want: domain.ErrInvalidClient},
		{name: "invalid_request with an MFA code on refresh", grant: refresh, code: "invalid_request", codes: []int{50076}, status: 400, want: domain.ErrInteractionRequired},
		{name: "invalid_grant on a 503 refresh", grant: refresh, code: "invalid_grant", status: 503, want: domain.ErrUnavailable},
		{name: "empty 400 on auth code", grant: ac, status: 400, want: domain.ErrInvalidResponse},
		{name: "empty 401 on auth code", grant: ac, status: 401, want: domain.ErrInvalidClient},
		{name: "empty 403 on client credentials", grant: cc, status: 403, want: domain.ErrAccessDenied},
		{name: "non-standard code on password", grant: pw, code: "weird_code", status: 400, want: domain.ErrInvalidGrant},
		{name: "non-standard code on refresh", grant: refresh, code: "weird_code", status: 400, want: domain.ErrInvalidGrant},
		{name: "non-standard code on a 401 refresh", grant: refresh, code: "weird_code", status: 401, want: domain.ErrInvalidClient},
		{name: "non-standard code on a 403 refresh", grant: refresh, code: "weird_code", status: 403, want: domain.ErrAccessDenied},
		{name: "nothing said", grant: ac, want: domain.ErrInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.Classify(tt.grant, tt.code, tt.sub, tt.codes, tt.status); got != tt.want {
				t.Errorf("Classify(%s, %q, %q, %v, %d) = %q; want %q", tt.grant, tt.code, tt.sub, tt.codes, tt.status, got, tt.want)
			}
		})
	}
}

// Only a refusal of the refresh token itself marks it dead: not a challenge a later
// request may satisfy, not a throttled, failing or misconfigured request (DESIGN §3
// "Silent acquisition" step 5).
func TestRefreshTokenRefused(t *testing.T) {
	refused := func(status int, body string) error {
		return domain.ParseErrorResponse(domain.GrantRefreshToken, status, []byte(body))
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "invalid_grant", err: refused(400, `{"error":"invalid_grant","error_description":"revoked"}`), want: true},
		{name: "expired, AADSTS70008", err: refused(400, `{"error":"invalid_grant","error_codes":[70008]}`), want: true},
		{name: "session revoked, AADSTS50173", err: refused(400, `{"error":"invalid_grant","error_codes":[50173],"suberror":"bad_token"}`), want: true},
		{name: "wrapped", err: fmt.Errorf("silent: %w", refused(400, `{"error":"invalid_grant"}`)), want: true},
		{name: "empty 400", err: &domain.Error{Class: domain.ErrInteractionRequired, HTTPStatus: 400}, want: true},
		{name: "empty JSON 400", err: func() error {
			_, err := domain.ParseTokenResponse(domain.GrantRefreshToken, 400, []byte(`{}`))
			return err
		}(), want: true},
		{name: "HTML 400", err: func() error {
			_, err := domain.ParseTokenResponse(domain.GrantRefreshToken, 400, []byte(`<html>bad</html>`))
			return err
		}(), want: false},
		{name: "MFA challenge", err: refused(400, `{"error":"invalid_grant","suberror":"basic_action","error_codes":[50076]}`), want: false},
		{name: "consent for one scope", err: refused(400, `{"error":"invalid_grant","suberror":"consent_required","error_codes":[65001]}`), want: false},
		{name: "MFA suberror alone", err: refused(400, `{"error":"invalid_grant","suberror":"basic_action"}`), want: false},
		{name: "conditional access code alone", err: refused(400, `{"error":"invalid_grant","error_codes":[53003]}`), want: false},
		{name: "claims challenge", err: refused(400, `{"error":"invalid_grant","claims":"{\"access_token\":{}}"}`), want: false},
		{name: "interaction_required", err: refused(400, `{"error":"interaction_required"}`), want: false},
		{name: "invalid_client", err: refused(401, `{"error":"invalid_client"}`), want: false},
		{name: "invalid_request", err: refused(400, `{"error":"invalid_request"}`), want: false},
		{name: "scope beyond the grant", err: refused(400, `{"error":"invalid_scope"}`), want: false},
		{name: "throttled invalid_grant", err: refused(429, `{"error":"invalid_grant"}`), want: false},
		{name: "503", err: &domain.Error{Class: domain.ErrUnavailable, HTTPStatus: 503}, want: false},
		{name: "no tokens", err: &domain.Error{Class: domain.ErrNoTokens}, want: false},
		{name: "class without a status or code", err: domain.Errorf(domain.ErrInteractionRequired, "sign in"), want: false},
		{name: "not a domain error", err: io.EOF, want: false},
		{name: "nil", err: nil, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.RefreshTokenRefused(tt.err); got != tt.want {
				t.Errorf("RefreshTokenRefused(%v) = %v; want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorCode_Is_classes(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{name: "no tokens is interaction required", err: domain.ErrNoTokens, target: domain.ErrInteractionRequired, want: true},
		{name: "interaction required is not no tokens", err: domain.ErrInteractionRequired, target: domain.ErrNoTokens, want: false},
		{name: "invalid grant is not interaction required", err: domain.ErrInvalidGrant, target: domain.ErrInteractionRequired, want: false},
		{name: "class itself", err: domain.ErrThrottled, target: domain.ErrThrottled, want: true},
		{name: "*Error of no tokens", err: &domain.Error{Class: domain.ErrNoTokens}, target: domain.ErrInteractionRequired, want: true},
		{name: "refused refresh is interaction required", err: &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant"}, target: domain.ErrInteractionRequired, want: true},
		{name: "refused refresh is invalid grant", err: &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant"}, target: domain.ErrInvalidGrant, want: true},
		{name: "provider code invalid_client", err: &domain.Error{Class: domain.ErrThrottled, Code: "invalid_client"}, target: domain.ErrInvalidClient, want: true},
		{name: "provider code access_denied", err: &domain.Error{Class: domain.ErrUnavailable, Code: "access_denied"}, target: domain.ErrAccessDenied, want: true},
		{name: "provider code outside the RFC", err: &domain.Error{Class: domain.ErrInvalidGrant, Code: "unavailable"}, target: domain.ErrUnavailable, want: false},
		{name: "other class", err: &domain.Error{Class: domain.ErrInvalidGrant, Code: "invalid_grant"}, target: domain.ErrInteractionRequired, want: false},
		{name: "wrapped", err: fmt.Errorf("usecase: %w", &domain.Error{Class: domain.ErrNoTokens}), target: domain.ErrNoTokens, want: true},
		{name: "not an ErrorCode target", err: &domain.Error{Class: domain.ErrInvalidGrant}, target: io.EOF, want: false},
		{name: "cause reachable", err: &domain.Error{Class: domain.ErrUnavailable, Err: io.ErrUnexpectedEOF}, target: io.ErrUnexpectedEOF, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v) = %v; want %v", tt.err, tt.target, got, tt.want)
			}
		})
	}
}

func TestErrorCode_Error(t *testing.T) {
	if got := domain.ErrNoTokens.Error(); got != "hexauth: no_tokens" {
		t.Errorf("ErrNoTokens.Error() = %q; want %q", got, "hexauth: no_tokens")
	}
}

func TestError_Error_format(t *testing.T) {
	tests := []struct {
		name string
		err  *domain.Error
		want string
	}{
		{name: "class only", err: &domain.Error{Class: domain.ErrNoTokens}, want: "hexauth: no_tokens"},
		{name: "code equal to class not repeated", err: &domain.Error{Class: domain.ErrInvalidGrant, Code: "invalid_grant"}, want: "hexauth: invalid_grant"},
		{
			name: "everything",
			err: &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant", SubError: "basic_action",
				Description: "AADSTS50076: MFA", HTTPStatus: 400, RetryAfter: 30 * time.Second, CorrelationID: "cid-123", Op: "silent",
				Err: errors.New("cause")},
			want: "hexauth: silent: interaction_required (invalid_grant/basic_action): AADSTS50076: MFA [HTTP 400] [retry after 30s] [correlation id cid-123]: cause",
		},
		{name: "status only", err: &domain.Error{Class: domain.ErrUnavailable, HTTPStatus: 503}, want: "hexauth: unavailable [HTTP 503]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestError_Error_truncatesLongDescription(t *testing.T) {
	e := &domain.Error{Class: domain.ErrInvalidGrant, Description: strings.Repeat("d", 5000)}
	if got := len(e.Error()); got > 400 {
		t.Errorf("len(Error()) with a 5000-byte description = %d; want at most 400", got)
	}
}

func TestError_Error_formatsFieldsOnly(t *testing.T) {
	const secret = "c2VjcmV0LXRva2VuLXZhbHVl"
	e := &domain.Error{Class: domain.ErrInvalidGrant, Code: "invalid_grant", Claims: secret, TraceID: "trace-1"}
	if strings.Contains(e.Error(), secret) {
		t.Errorf("Error() = %q; want claims left out of the message", e.Error())
	}
}

func TestError_Unwrap(t *testing.T) {
	cause := errors.New("dial tcp: refused")
	e := &domain.Error{Class: domain.ErrUnavailable, Err: cause}
	if got := errors.Unwrap(e); got != cause {
		t.Errorf("Unwrap() = %v; want %v", got, cause)
	}
}

func TestErrorf_classAndDescription(t *testing.T) {
	e := domain.Errorf(domain.ErrInvalidInput, "bad %s", "thing")
	if e.Class != domain.ErrInvalidInput || e.Description != "bad thing" || e.Error() != "hexauth: invalid_input: bad thing" {
		t.Errorf("Errorf = %+v (%q); want class invalid_input, description %q", e, e.Error(), "bad thing")
	}
}

func TestError_Error_truncatesOnARuneBoundary(t *testing.T) {
	e := &domain.Error{Class: domain.ErrInvalidGrant, Description: strings.Repeat("é", 400)}
	if msg := e.Error(); !utf8.ValidString(msg) {
		t.Fatalf("Error() is not valid UTF-8 after truncation")
	}
}
