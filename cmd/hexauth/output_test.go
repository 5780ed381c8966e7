package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

func TestExitCode_classes(t *testing.T) {
	refusedRefresh := &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant"}
	discoveryDown := &domain.Error{Class: domain.ErrDiscovery, Err: &domain.Error{Class: domain.ErrUnavailable}}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"usage", usageErrorf("bad flag"), exitUsage},
		{"wrapped usage", fmt.Errorf("x: %w", usageErrorf("bad flag")), exitUsage},
		{"invalid input", domain.Errorf(domain.ErrInvalidInput, "no scopes"), exitUsage},
		{"no tokens", domain.ErrNoTokens, exitInteraction},
		{"refused refresh is interaction, not refusal", refusedRefresh, exitInteraction},
		{"invalid grant", &domain.Error{Class: domain.ErrInvalidGrant}, exitRefused},
		{"invalid client", &domain.Error{Class: domain.ErrInvalidClient}, exitRefused},
		{"invalid scope", &domain.Error{Class: domain.ErrInvalidScope}, exitRefused},
		{"access denied", &domain.Error{Class: domain.ErrAccessDenied}, exitRefused},
		{"unavailable", &domain.Error{Class: domain.ErrUnavailable}, exitUnavailable},
		{"throttled", &domain.Error{Class: domain.ErrThrottled, RetryAfter: time.Minute}, exitUnavailable},
		{"discovery of an unreachable provider", discoveryDown, exitUnavailable},
		{"state mismatch", &domain.Error{Class: domain.ErrStateMismatch}, exitFailure},
		{"cache store", &domain.Error{Class: domain.ErrCacheStore}, exitFailure},
		{"plain error", errors.New("boom"), exitFailure},
		{"canceled", context.Canceled, exitFailure},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exitCode(%v) = %d; want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestNewErrorJSON_keepsWhatTheProviderSaid(t *testing.T) {
	err := &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant", Description: "AADSTS50076: MFA",
		SubError: "basic_action", ErrorCodes: []int{50076}, CorrelationID: "c-1", Claims: `{"access_token":{}}`,
		TraceID: "t-1", Timestamp: "2026-03-01 12:00:00Z"}
	got := newErrorJSON(fmt.Errorf("wrapped: %w", err))
	want := errorJSON{Error: "interaction_required", ErrorDescription: "AADSTS50076: MFA", SubError: "basic_action",
		CorrelationID: "c-1", ErrorCodes: []int{50076}, ProviderError: "invalid_grant", Claims: `{"access_token":{}}`,
		TraceID: "t-1", Timestamp: "2026-03-01 12:00:00Z"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %+v; want %+v", got, want)
	}
	if got := newErrorJSON(errors.New("boom")); got.Error != "failed" || got.ErrorDescription != "boom" {
		t.Fatalf("got %+v; want error failed with the message", got)
	}
	if got := newErrorJSON(domain.ErrNoTokens); got.Error != "no_tokens" {
		t.Fatalf("got %+v; want error no_tokens", got)
	}
}

func TestPrinter_token_jsonHasMSALKeysAndNoRefreshToken(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := app.AuthResult{
		AccessToken: "at-value", TokenType: "Bearer", ExpiresOn: now.Add(90 * time.Minute), Scopes: []string{"a", "b"},
		IDToken: "raw-id-token", IDTokenClaims: &domain.IDTokenClaims{Raw: map[string]any{"sub": "s-1"}},
		RefreshToken: "rt-value", TokenSource: domain.SourceIdentityProvider,
	}
	var out bytes.Buffer
	p := printer{e: &env{stdout: &out}, json: true, now: func() time.Time { return now }}
	p.token(res)
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"access_token": "at-value", "token_type": "Bearer", "expires_in": float64(5400),
		"scope": "a b", "id_token_claims": map[string]any{"sub": "s-1"}, "token_source": "identity_provider"}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Fatalf("got %v; want %v", m, want)
	}
	if strings.Contains(out.String(), "rt-value") || strings.Contains(out.String(), "raw-id-token") {
		t.Fatalf("the JSON holds the refresh token or the raw ID token: %s", out.String())
	}
}

func TestPrinter_fail_usageGoesToStderrOnly(t *testing.T) {
	var stdout, stderr bytes.Buffer
	p := printer{e: &env{stdout: &stdout, stderr: &stderr}, json: true, now: time.Now}
	if code := p.fail(usageErrorf("missing --scopes")); code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "missing --scopes") {
		t.Fatalf("got exit %d, stdout %q, stderr %q; want 2 with the message on stderr only", code, stdout.String(), stderr.String())
	}
}
