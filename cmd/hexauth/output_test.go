package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
	want := errorJSON{Error: "invalid_grant", ErrorClass: "interaction_required", ErrorDescription: "AADSTS50076: MFA",
		SubError: "basic_action", CorrelationID: "c-1", ErrorCodes: []int{50076}, Claims: `{"access_token":{}}`,
		TraceID: "t-1", Timestamp: "2026-03-01 12:00:00Z"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %+v; want %+v", got, want)
	}
	for _, tc := range []struct {
		name             string
		err              error
		wantError, class string
	}{
		{"the provider's code equals the class", &domain.Error{Class: domain.ErrInvalidGrant, Code: "invalid_grant"}, "invalid_grant", "invalid_grant"},
		{"a code hexauth has no class of", &domain.Error{Class: domain.ErrUnavailable, Code: "temporarily_unavailable"}, "temporarily_unavailable", "unavailable"},
		{"no provider code", &domain.Error{Class: domain.ErrThrottled, RetryAfter: time.Minute}, "throttled", "throttled"},
		{"a class alone", domain.ErrNoTokens, "no_tokens", "no_tokens"},
		{"not hexauth's error", errors.New("boom"), "failed", "failed"},
	} {
		if got := newErrorJSON(tc.err); got.Error != tc.wantError || got.ErrorClass != tc.class || got.ErrorDescription == "" {
			t.Errorf("%s: got %+v; want error %q, error_class %q and a description", tc.name, got, tc.wantError, tc.class)
		}
	}
}

func TestPrinter_fail_jsonErrorHasMSALPythonKeys(t *testing.T) {
	var stdout, stderr bytes.Buffer
	p := printer{e: &env{stdout: &stdout, stderr: &stderr}, json: true, now: time.Now}
	err := &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant", Description: "AADSTS50076: MFA", SubError: "basic_action"}
	if code := p.fail(err); code != exitInteraction {
		t.Fatalf("got exit %d; want %d", code, exitInteraction)
	}
	var m map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"error": "invalid_grant", "error_class": "interaction_required",
		"error_description": "AADSTS50076: MFA", "suberror": "basic_action"}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Fatalf("got %v; want %v (no provider_error key)", m, want)
	}
}

func TestPrinter_token_jsonHasMSALKeysAndNoRefreshToken(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	claims, err := domain.NewIDTokenClaims(map[string]any{"iss": "https://idp", "sub": "s-1", "aud": "c", "exp": 1767328445,
		"groups": []any{"g1", map[string]any{"id": "g2"}}})
	if err != nil {
		t.Fatal(err)
	}
	res := app.AuthResult{
		AccessToken: "at-value", TokenType: "Bearer", ExpiresOn: now.Add(90 * time.Minute), Scopes: []string{"a", "b"},
		IDToken: "raw-id-token", IDTokenClaims: &claims,
		RefreshToken: "rt-value", TokenSource: domain.SourceIdentityProvider,
	}
	var out bytes.Buffer
	p := printer{e: &env{stdout: &out}, json: true, now: func() time.Time { return now }}
	p.token(res)
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"access_token": "at-value", "token_type": "Bearer", "expires_in": float64(5400), "expires_on": "2026-01-02T04:34:05Z",
		"scope": "a b", "id_token_claims": map[string]any{"aud": "c", "exp": float64(1767328445), "groups": []any{"g1", map[string]any{"id": "g2"}},
			"iss": "https://idp", "sub": "s-1"}, "token_source": "identity_provider"}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Fatalf("got %v; want %v", m, want)
	}
	// The claims print as the token carries them: exp as the integer it is, not 1.767328445e+09.
	if !strings.Contains(out.String(), `"exp": 1767328445`) {
		t.Fatalf("the JSON = %s; want the claim exp as 1767328445", out.String())
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

func TestDocs_errorJSONExampleMatchesTheResult(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n{\n  \"error\"")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/cli.md has no JSON error example")
	}
	raw := "{\n  \"error\"" + block
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	var example errorJSON
	if err := dec.Decode(&example); err != nil {
		t.Fatalf("the example is not an error result: %v", err)
	}
	srv := startIdP(t)
	env := with(clientEnv(srv, t.TempDir()), "HEXAUTH_PASSWORD", mfaPassword)
	r := runInProcess(t, invocation{args: []string{"ropc", "--username", mfaName, "--output", "json"}, env: env})
	got := decodeError(t, r)
	if r.code != exitInteraction || got.Error != example.Error || got.ErrorClass != example.ErrorClass ||
		got.SubError != example.SubError || fmt.Sprint(got.ErrorCodes) != fmt.Sprint(example.ErrorCodes) {
		t.Fatalf("the documented example\n%s\nis not what an MFA-required ropc prints:\n%s", raw, r)
	}
	if a, b := jsonKeys(t, raw), jsonKeys(t, r.stdout); a != b {
		t.Fatalf("the example has the keys %s; an MFA-required ropc prints %s", a, b)
	}
}

// jsonKeys returns the sorted keys of the JSON object doc.
func jsonKeys(t *testing.T, doc string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(slices.Sorted(maps.Keys(m)))
}
