package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// steps lists the demo's steps in order; each builds on the ones before it.
func (d *demo) steps() []demoStep {
	return []demoStep{
		{"ROPC sign-in (alice)", d.stepROPC},
		{"silent call served from the cache", d.stepCacheHit},
		{"time moves past expiry: silent refresh", d.stepExpiry},
		{"force refresh", d.stepForceRefresh},
		{"auth-code sign-in over the login page (bob)", d.stepAuthCode},
		{"second account kept apart", d.stepSecondAccount},
		{"list and filter accounts", d.stepListAccounts},
		{"remove an account (alice)", d.stepRemove},
		{"refused refresh becomes interaction required", d.stepRefusedRefresh},
		{"forged state refused", d.stepStateMismatch},
	}
}

// expect returns an error saying what was wanted when ok is false.
func expect(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf("not as documented: "+format, args...)
}

// grants returns how many token requests of grant the provider received.
func (d *demo) grants(g domain.GrantKind) int { return d.srv.Requests(g) }

func (d *demo) stepROPC(ctx context.Context) (domain.TokenSource, string, error) {
	before := d.grants(domain.GrantPassword)
	res, err := d.pc.AcquireTokenByUsernamePassword(ctx, demoAlice, demoAlicePassword, demoScopes)
	if err != nil {
		return "", "", err
	}
	d.alice, d.lastToken = res.Account, res.AccessToken
	if err := expect(res.TokenSource == domain.SourceIdentityProvider && res.Account.Username == demoAlice &&
		d.grants(domain.GrantPassword) == before+1,
		"want a token for %s from the provider after one password grant; got %s from %s", demoAlice, res.Account.Username, res.TokenSource); err != nil {
		return res.TokenSource, "", err
	}
	return res.TokenSource, fmt.Sprintf("password grant for %s; access token, ID token and refresh token cached (scopes %s)",
		res.Account.Username, strings.Join(res.Scopes, " ")), nil
}

func (d *demo) stepCacheHit(ctx context.Context) (domain.TokenSource, string, error) {
	before := d.srv.EndpointRequests("*")
	res, err := d.pc.AcquireTokenSilent(ctx, demoScopes, d.alice)
	if err != nil {
		return "", "", err
	}
	if err := expect(res.TokenSource == domain.SourceCache && res.AccessToken == d.lastToken && d.srv.EndpointRequests("*") == before,
		"want the same access token from the cache with no request to the provider; got one from %s", res.TokenSource); err != nil {
		return res.TokenSource, "", err
	}
	return res.TokenSource, fmt.Sprintf("same access token, no request to the provider; it expires in %s",
		res.ExpiresOn.Sub(d.clock.Now()).Round(time.Second)), nil
}

func (d *demo) stepExpiry(ctx context.Context) (domain.TokenSource, string, error) {
	jump := demoTokenLifetime + time.Minute
	d.clock.Advance(jump)
	before := d.grants(domain.GrantRefreshToken)
	oldRT, err := d.cachedRefreshToken(ctx, d.alice)
	if err != nil {
		return "", "", err
	}
	res, err := d.pc.AcquireTokenSilent(ctx, demoScopes, d.alice)
	if err != nil {
		return "", "", err
	}
	newRT, err := d.cachedRefreshToken(ctx, d.alice)
	if err != nil {
		return "", "", err
	}
	rotated := oldRT != "" && newRT != "" && newRT != oldRT
	ok := res.TokenSource == domain.SourceIdentityProvider && res.AccessToken != d.lastToken && d.grants(domain.GrantRefreshToken) == before+1 && rotated
	d.lastToken = res.AccessToken
	if err := expect(ok, "want a new access token from one refresh grant, and a new refresh token cached; got one from %s (refresh token rotated: %t)",
		res.TokenSource, rotated); err != nil {
		return res.TokenSource, "", err
	}
	return res.TokenSource, fmt.Sprintf("the clock moved %s forward; the expired access token was replaced by redeeming the refresh token, "+
		"which the provider rotated: the cache now holds a new one", jump), nil
}

func (d *demo) stepForceRefresh(ctx context.Context) (domain.TokenSource, string, error) {
	before := d.grants(domain.GrantRefreshToken)
	res, err := d.pc.AcquireTokenSilent(ctx, demoScopes, d.alice, app.WithForceRefresh())
	if err != nil {
		return "", "", err
	}
	ok := res.TokenSource == domain.SourceIdentityProvider && res.AccessToken != d.lastToken && d.grants(domain.GrantRefreshToken) == before+1
	d.lastToken = res.AccessToken
	if err := expect(ok, "want a new access token from one refresh grant although the cached one is valid; got one from %s", res.TokenSource); err != nil {
		return res.TokenSource, "", err
	}
	return res.TokenSource, "the cached access token was still valid; WithForceRefresh redeemed the refresh token anyway", nil
}

func (d *demo) stepAuthCode(ctx context.Context) (domain.TokenSource, string, error) {
	d.agent.SetUser(demoBob, demoBobPassword)
	codes, pages := d.grants(domain.GrantAuthorizationCode), d.srv.EndpointRequests("authorize")
	res, err := d.pc.AcquireTokenInteractive(ctx, demoScopes, app.WithLoginHint(demoBob))
	if err != nil {
		return "", "", err
	}
	d.bob = res.Account
	claims := res.IDTokenClaims
	ok := res.TokenSource == domain.SourceIdentityProvider && res.Account.Username == demoBob && claims != nil &&
		claims.PreferredUsername == demoBob && d.grants(domain.GrantAuthorizationCode) == codes+1 &&
		d.srv.EndpointRequests("authorize") == pages+2
	if err := expect(ok, "want bob signed in through the login form (GET and POST) and one code redeemed; got %s", res.Account.Username); err != nil {
		return res.TokenSource, "", err
	}
	// The provider redeems a code only with the verifier of the challenge the
	// authorization URL carried: an S256 challenge there means an S256 redemption.
	if err := checkPKCE(d.browser.lastURL()); err != nil {
		return res.TokenSource, "", expect(false, "want an S256 PKCE challenge in the authorization URL: %v", err)
	}
	if err := verifySignature(string(res.IDToken), d.srv.JWKS()); err != nil {
		return res.TokenSource, "", expect(false, "want the ID token signed by a key of the provider's JWKS: %v", err)
	}
	return res.TokenSource, fmt.Sprintf("GET the authorization URL (PKCE S256 challenge), POST the login form, 302 to the loopback listener; "+
		"code redeemed with its verifier, ID token signature checked against the provider's JWKS: hello %s <%s>", claims.Name, claims.PreferredUsername), nil
}

func (d *demo) stepSecondAccount(ctx context.Context) (domain.TokenSource, string, error) {
	b, err := d.pc.AcquireTokenSilent(ctx, demoScopes, d.bob)
	if err != nil {
		return "", "", err
	}
	a, err := d.pc.AcquireTokenSilent(ctx, demoScopes, d.alice)
	if err != nil {
		return "", "", err
	}
	ok := a.TokenSource == domain.SourceCache && b.TokenSource == domain.SourceCache && a.AccessToken != b.AccessToken &&
		a.Account.HomeAccountID != b.Account.HomeAccountID
	if err := expect(ok, "want each account's own token from the cache; got %s and %s", a.TokenSource, b.TokenSource); err != nil {
		return "", "", err
	}
	return domain.SourceCache, fmt.Sprintf("silent calls for %s and %s each return that account's own cached token", demoBob, demoAlice), nil
}

func (d *demo) stepListAccounts(ctx context.Context) (domain.TokenSource, string, error) {
	all, err := d.pc.Accounts(ctx)
	if err != nil {
		return "", "", err
	}
	filter := strings.ToUpper(demoBob)
	some, err := d.pc.Accounts(ctx, app.WithUsername(filter))
	if err != nil {
		return "", "", err
	}
	other, err := d.root.Partition("some-other-tenant").Accounts(ctx)
	if err != nil {
		return "", "", err
	}
	ok := len(all) == 2 && len(some) == 1 && some[0].Username == demoBob && len(other) == 0
	if err := expect(ok, "want 2 accounts, 1 for %s and none in another partition; got %d, %d and %d", filter, len(all), len(some), len(other)); err != nil {
		return "", "", err
	}
	return "", fmt.Sprintf("%d accounts (%s, %s); the filter %s matches %s; another partition sees none",
		len(all), all[0].Username, all[1].Username, filter, some[0].Username), nil
}

func (d *demo) stepRemove(ctx context.Context) (domain.TokenSource, string, error) {
	if err := d.pc.RemoveAccount(ctx, d.alice); err != nil {
		return "", "", err
	}
	left, err := d.pc.Accounts(ctx)
	if err != nil {
		return "", "", err
	}
	_, err = d.pc.AcquireTokenSilent(ctx, demoScopes, d.alice)
	ok := len(left) == 1 && left[0].Username == demoBob && errors.Is(err, domain.ErrNoTokens)
	if err := expect(ok, "want only %s left and no token for %s; got %d accounts and %v", demoBob, demoAlice, len(left), err); err != nil {
		return "", "", err
	}
	return "", fmt.Sprintf("%s and her tokens removed; a silent call for her now fails with %s (exit code %d)",
		demoAlice, string(domain.ErrNoTokens), exitCode(err)), nil
}

func (d *demo) stepRefusedRefresh(ctx context.Context) (domain.TokenSource, string, error) {
	d.srv.RevokeRefreshTokens(demoBob)
	_, err := d.pc.AcquireTokenSilent(ctx, demoScopes, d.bob, app.WithForceRefresh())
	var de *domain.Error
	ok := errors.Is(err, domain.ErrInteractionRequired) && !errors.Is(err, domain.ErrNoTokens) && errors.As(err, &de) && de.Code == "invalid_grant"
	if err := expect(ok, "want the provider's invalid_grant classified as interaction required; got %v", err); err != nil {
		return "", "", err
	}
	return "", fmt.Sprintf("the provider revoked %s's refresh token and answered invalid_grant; reported as %s (exit code %d): sign in again",
		demoBob, string(de.Class), exitCode(err)), nil
}

func (d *demo) stepStateMismatch(ctx context.Context) (domain.TokenSource, string, error) {
	flow, err := d.pc.InitiateAuthCodeFlow(ctx, demoScopes, "http://127.0.0.1/demo-callback")
	if err != nil {
		return "", "", err
	}
	loc, err := d.agent.Authorize(ctx, flow.AuthURI)
	if err != nil {
		return "", "", err
	}
	forged := url.Values{}
	for k, v := range loc.Query() {
		forged[k] = v
	}
	forged.Set("state", "forged-by-an-attacker")
	codes := d.grants(domain.GrantAuthorizationCode)
	_, err = d.pc.AcquireTokenByAuthCodeFlow(ctx, flow, forged)
	ok := errors.Is(err, domain.ErrStateMismatch) && d.grants(domain.GrantAuthorizationCode) == codes
	if err := expect(ok, "want ErrStateMismatch before any code is redeemed; got %v", err); err != nil {
		return "", "", err
	}
	return "", fmt.Sprintf("a genuine code returned with a forged state was refused (%s) before the code was redeemed", string(domain.ErrStateMismatch)), nil
}
