package app

import (
	"context"
	"time"

	"golang.org/x/oauth2"

	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

// SilentAcquirer is what TokenSource needs of a client: silent acquisition for an
// account, and the engine's serving rules. *PublicClient and *ConfidentialClient (and
// their partitions) are the only implementations.
type SilentAcquirer interface {
	AcquireTokenSilent(ctx context.Context, scopes []string, account Account, opts ...SilentOption) (AuthResult, error)
	serving() servingRule
}

// servingRule is what decides how long the engine serves a cached token as is.
type servingRule struct {
	buffer time.Duration
	clock  ports.Clock
}

func (c *client) serving() servingRule {
	b := c.env.cfg.ExpiryBuffer
	if b <= 0 {
		b = usecases.DefaultExpiryBuffer
	}
	return servingRule{buffer: b, clock: c.env.deps.Clock}
}

// until is when the engine stops serving res's access token as is: the earlier of
// refresh_on and expires_on minus the buffer. When a refresh at refresh_on failed, the
// engine serves the cached token with RefreshOn set to when it will try again; a
// refresh_on already passed (a result kept by the caller) is ignored, or the token would
// look expired to oauth2's ReuseTokenSource while hexauth still serves it.
func (r servingRule) until(res AuthResult) time.Time {
	until := res.ExpiresOn.Add(-r.buffer)
	if !res.RefreshOn.IsZero() && res.RefreshOn.Before(until) && res.RefreshOn.After(r.clock.Now()) {
		until = res.RefreshOn
	}
	return until
}

// TokenSource returns an oauth2.TokenSource whose every Token call is a silent
// acquisition of scopes for account through c: the engine's cache is the reuse layer,
// so the source keeps no token of its own and is safe for concurrent use.
//
// As with x/oauth2's Config.TokenSource, ctx is used by every Token call and the
// source lives as long as ctx: cancelling it makes Token fail. Token never prompts:
// when the user must sign in again the error is interaction required, and errors.Is
// sees every hexauth class (domain.ErrNoTokens, domain.ErrInteractionRequired, ...)
// through the returned error.
//
// The token's Expiry is when the engine would stop serving it as is (the earlier of
// refresh_on and expires_on minus the expiry buffer), so the ReuseTokenSource that
// oauth2.NewClient adds asks again exactly when hexauth would refresh. RefreshToken is
// never filled (a second refresher would rotate it behind the cache); the raw ID token
// is in Extra("id_token"). A sign-in for an ID token only (no API scope) is refused
// with domain.ErrInvalidInput: an ID token is never handed out as a bearer token.
//
// oauth2.NewClient's Transport sets the token on every request it sends, the hops of a
// redirect to another host included (golang/oauth2 issue 500): a client that may follow
// a redirect it does not control, or whose URLs come from elsewhere, should send through
// bearer.Transport (SilentBearer), which authorizes only the hosts it is told to.
func TokenSource(ctx context.Context, c SilentAcquirer, scopes []string, account Account, opts ...SilentOption) oauth2.TokenSource {
	scopes = append([]string(nil), scopes...)
	opts = append([]SilentOption(nil), opts...)
	return &tokenSource{ctx: ctx, rule: c.serving(), acquire: func(ctx context.Context) (AuthResult, error) {
		return c.AcquireTokenSilent(ctx, scopes, account, opts...)
	}}
}

// ClientCredentialsTokenSource returns an oauth2.TokenSource over AcquireTokenForClient
// (app-only tokens, cached per client and tenant). The ctx, expiry and error contract
// is TokenSource's.
func ClientCredentialsTokenSource(ctx context.Context, cc *ConfidentialClient, scopes []string, opts ...ClientOption) oauth2.TokenSource {
	scopes = append([]string(nil), scopes...)
	opts = append([]ClientOption(nil), opts...)
	return &tokenSource{ctx: ctx, rule: cc.serving(), acquire: func(ctx context.Context) (AuthResult, error) {
		return cc.AcquireTokenForClient(ctx, scopes, opts...)
	}}
}

// tokenSource is immutable after construction: concurrent Token calls share nothing
// but the engine, which single-flights refreshes.
type tokenSource struct {
	ctx     context.Context
	rule    servingRule
	acquire func(context.Context) (AuthResult, error)
}

func (s *tokenSource) Token() (*oauth2.Token, error) {
	res, err := s.acquire(s.ctx)
	if err != nil {
		return nil, err
	}
	return oauth2Token(res, s.rule)
}

// oauth2Token converts a result into a new *oauth2.Token (callers may not modify it,
// but a fresh one per call keeps one caller's mistake from reaching another).
func oauth2Token(res AuthResult, rule servingRule) (*oauth2.Token, error) {
	bearer, err := res.BearerToken()
	if err != nil {
		return nil, err
	}
	tokenType := res.TokenType
	if tokenType == "" {
		tokenType = "Bearer"
	}
	t := &oauth2.Token{AccessToken: string(bearer), TokenType: tokenType, Expiry: rule.until(res)}
	if res.IDToken != "" {
		t = t.WithExtra(map[string]any{"id_token": string(res.IDToken)})
	}
	return t, nil
}
