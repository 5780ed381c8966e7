package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// Tokens the library returns with ErrCacheStore are printed with their refresh token
// and the command exits 1, with no JSON error object after the result.
func TestPrinter_acquired_cacheStoreFailureHandsOverTheTokens(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	res := app.AuthResult{AccessToken: "at-1", TokenType: "Bearer", ExpiresOn: now.Add(time.Hour), RefreshToken: "rt-rotated",
		Account: app.Account{HomeAccountID: "h", Username: "ada@example.com"}, TokenSource: domain.SourceIdentityProvider}
	storeFailed := &domain.Error{Class: domain.ErrCacheStore, Op: "silent: write cache", Description: "disk full"}
	var stdout, stderr bytes.Buffer
	p := printer{e: &env{stdout: &stdout, stderr: &stderr}, json: true, now: func() time.Time { return now }}
	err := p.acquired(settings{json: true}, res, storeFailed)
	if code := p.fail(err); code != exitFailure {
		t.Fatalf("exit %d; want %d", code, exitFailure)
	}
	var tok tokenJSON
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tok); err != nil || tok.AccessToken != "at-1" || tok.RefreshToken != "rt-rotated" || dec.More() {
		t.Fatalf("stdout %q: %v; want one token result carrying refresh_token", stdout.String(), err)
	}
	if !strings.Contains(stderr.String(), "not cached") || !strings.Contains(stderr.String(), "cache_store") || strings.Contains(stderr.String(), "rt-rotated") {
		t.Fatalf("stderr %q; want the warning and the error, never the token", stderr.String())
	}

	// Any other failure comes without tokens: nothing but the error is printed.
	stdout.Reset()
	refused := &domain.Error{Class: domain.ErrInvalidGrant}
	if err := p.acquired(settings{json: true}, app.AuthResult{}, refused); err != refused || stdout.Len() != 0 {
		t.Fatalf("acquired(invalid_grant) = %v, stdout %q; want the error alone", err, stdout.String())
	}
}

// A sign-in without scopes whose response had no ID token names no account, so nothing
// was cached: the command exits 3 (interaction required) but hands over the new refresh
// token, which the provider may have rotated, and prints no token on stdout.
func TestPrinter_acquired_signInWithoutIDTokenHandsOverTheRefreshToken(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	res := app.AuthResult{AccessToken: "at-1", RefreshToken: "rt-rotated", For: domain.ForIDToken, TokenSource: domain.SourceIdentityProvider}
	noIDToken := &domain.Error{Class: domain.ErrInteractionRequired, Description: "the provider returned no ID token for a sign-in without API scopes"}
	var stdout, stderr bytes.Buffer
	p := printer{e: &env{stdout: &stdout, stderr: &stderr}, json: true, now: func() time.Time { return now }}
	if code := p.fail(p.acquired(settings{json: true}, res, noIDToken)); code != exitInteraction {
		t.Fatalf("exit %d; want %d", code, exitInteraction)
	}
	var tok tokenJSON
	if err := json.Unmarshal(stdout.Bytes(), &tok); err != nil || tok.RefreshToken != "rt-rotated" || tok.AccessToken != "" {
		t.Fatalf("stdout %q: %v; want the refresh token handed over and no access token", stdout.String(), err)
	}
	if !strings.Contains(stderr.String(), "not cached") || strings.Contains(stderr.String(), "rt-rotated") {
		t.Fatalf("stderr %q; want the warning, never the token", stderr.String())
	}

	// In text mode the token goes to a private file beside the cache; stdout stays empty.
	stdout.Reset()
	stderr.Reset()
	p.json = false
	dir := t.TempDir()
	if code := p.fail(p.acquired(settings{cache: dir + "/tokens.db"}, res, noIDToken)); code != exitInteraction || stdout.Len() != 0 {
		t.Fatalf("text mode: exit %d, stdout %q; want %d and nothing on stdout", code, stdout.String(), exitInteraction)
	}
	if !strings.Contains(stderr.String(), "saved to "+dir) {
		t.Fatalf("stderr %q; want the file the refresh token was saved to", stderr.String())
	}
}
