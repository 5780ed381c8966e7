package usecases

import (
	"context"
	"errors"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// redemption describes one grant to redeem and how to store its result.
type redemption struct {
	op        string
	req       domain.TokenRequest // grant fields set; the rest is filled in by redeem
	authority domain.Authority
	scopes    []string       // non-reserved requested scopes
	nonce     string         // the nonce sent, when one was
	maxAge    *time.Duration // the max_age sent, when one was: auth_time is then required
	// account is the cached account a refresh is for; prev the cached ID-token claims of
	// that account in the tenant the refresh is in, which the response must continue
	// (nil when that tenant has none: the response is then bound to the account by its
	// home account id alone, in domain.BuildCacheWrite).
	account *domain.Account
	prev    *cachedIDToken
	// presented is the cached refresh token a silent refresh presents: a rotation
	// records it as spent in the new one (domain.SpentMember).
	presented *domain.RefreshToken
	appOnly   bool
	// exposeRefreshToken returns the issued refresh token in the result (non-silent
	// flows only).
	exposeRefreshToken bool
	// cacheOptional returns the tokens even when the response cannot be cached (it names
	// no account), so that a rotated refresh token is not lost.
	cacheOptional bool
}

// redeem sends the grant, checks the response and its ID token, stores the result
// atomically and returns it. Nothing is stored when a check fails. A user grant for no
// scope beyond the reserved ones is a sign-in for an ID token only (DESIGN §3): see
// signInResult. A refresh of a cached account whose response carries no ID token (as
// Google, Okta and many OIDC providers answer) keeps the cached one, so its result
// carries the cached ID token's claims, as a cache hit in that tenant does: the caller
// sees the same identity whichever way the token came.
func (e *engine) redeem(ctx context.Context, r redemption) (domain.AuthResult, error) {
	res, err := e.redeemTokens(ctx, r)
	if len(r.scopes) == 0 && !r.appOnly {
		return signInResult(r, res, err)
	}
	if err == nil && res.IDTokenClaims == nil && r.prev != nil && res.AccessToken != "" {
		prev := r.prev.claims
		res.IDToken, res.IDTokenClaims = r.prev.raw, &prev
	}
	return res, err
}

// signInResult marks the result of a sign-in for an ID token only (domain.ForIDToken,
// ExpiresOn the ID token's exp). A response without an ID token answers no such
// sign-in: ErrInteractionRequired saying why, with the tokens only where the caller
// must keep the refresh token the provider issued (a non-silent flow); a silent caller
// gets none (the response was cached), never an older ID token.
func signInResult(r redemption, res domain.AuthResult, err error) (domain.AuthResult, error) {
	if res.AccessToken == "" && res.IDToken == "" {
		return res, err // nothing came back: err says why
	}
	res.For = domain.ForIDToken
	if res.IDTokenClaims == nil {
		if err != nil {
			return res, err // tokens returned unchecked or uncached: that error comes first
		}
		noIDToken := &domain.Error{Class: domain.ErrInteractionRequired, Op: r.op, CorrelationID: res.CorrelationID,
			Description: "the provider returned no ID token for a sign-in without API scopes; sign in again"}
		if r.exposeRefreshToken {
			return res, noIDToken
		}
		return domain.AuthResult{}, noIDToken
	}
	res.ExpiresOn, res.RefreshOn = res.IDTokenClaims.Expiry, time.Time{}
	return res, err
}

// redeemTokens is redeem without the sign-in rule.
func (e *engine) redeemTokens(ctx context.Context, r redemption) (domain.AuthResult, error) {
	resp, claims, correlationID, err := e.exchange(ctx, r)
	if err != nil && resp.AccessToken != "" {
		// The provider answered, but its ID token could not be checked (the key set or
		// the metadata was unreachable, or the time ran out): nothing is cached, and the
		// tokens go back with the error, the refresh token too, for the one sent may
		// already be spent (DESIGN §3 "Rotation never loses a credential").
		e.log.WarnContext(ctx, "tokens returned unchecked and uncached: the ID token could not be verified", "op", r.op, "correlation_id", correlationID, domain.ErrorAttr(err))
		return domain.AuthResult{
			AccessToken: resp.AccessToken, TokenType: domain.NormalizeTokenType(resp.TokenType),
			RefreshToken: resp.RefreshToken, TokenSource: domain.SourceIdentityProvider, CorrelationID: correlationID,
			ExpiresOn: e.clock.Now().Add(resp.ExpiresIn),
		}, annotate(err, r.op, correlationID)
	}
	if err != nil {
		return domain.AuthResult{}, annotate(err, r.op, correlationID)
	}
	rc := domain.ResponseContext{
		Partition: e.cfg.Partition, Authority: r.authority, ClientID: e.cfg.ClientID,
		RequestedScopes: r.scopes, Now: e.clock.Now(), Claims: claims, Account: r.account, AppOnly: r.appOnly,
		Presented: r.presented,
	}
	result := domain.AuthResult{
		AccessToken: resp.AccessToken, TokenType: domain.NormalizeTokenType(resp.TokenType),
		IDToken: resp.IDToken, IDTokenClaims: claims, TokenSource: domain.SourceIdentityProvider,
		CorrelationID: correlationID,
	}
	if r.exposeRefreshToken {
		result.RefreshToken = resp.RefreshToken
	}
	w, acct, err := e.cacheResult(ctx, r, resp, rc)
	uncached := errors.Is(err, domain.ErrCacheStore) && w.AccessToken != nil
	if err != nil && !uncached {
		// Only BuildCacheWrite says ErrInvalidResponse (the store's failures are
		// ErrCacheStore): the response is fine to return but names no account to cache.
		if r.cacheOptional && errors.Is(err, domain.ErrInvalidResponse) {
			e.log.WarnContext(ctx, "token response names no account; returned without caching", "op", r.op, "correlation_id", correlationID)
			fillResult(&result, resp, rc)
			return result, nil
		}
		return domain.AuthResult{}, annotate(err, r.op, correlationID)
	}
	e.learnTenantID(r.authority, claims)
	result.Account = acct
	result.ExpiresOn, result.RefreshOn = w.AccessToken.ExpiresOn, w.AccessToken.RefreshOn
	result.Scopes = w.AccessToken.Scopes()
	if uncached {
		// The provider may have rotated the refresh token and revoked the one sent: the
		// tokens go back with the error, the new refresh token too (even to a silent
		// caller), or they would be lost (DESIGN §3 "Rotation never loses a credential").
		result.RefreshToken = resp.RefreshToken
		e.log.ErrorContext(ctx, "tokens returned uncached: the cache store kept failing", "op", r.op, "correlation_id", correlationID, "error", err)
		return result, annotate(err, r.op, correlationID)
	}
	return result, nil
}

// exchange sends the grant and checks the response and its ID token.
func (e *engine) exchange(ctx context.Context, r redemption) (domain.TokenResponse, *domain.IDTokenClaims, string, error) {
	req := r.req
	req.Authority, req.ClientID, req.Credential = r.authority, e.cfg.ClientID, e.cfg.Credential
	req.CorrelationID = e.correlationID(req.CorrelationID)
	req.Scopes = r.scopes
	if !r.appOnly {
		req.Scopes = domain.WithReservedScopes(r.scopes)
	}
	resp, err := e.idp.Token(ctx, req)
	if err == nil {
		err = resp.Validate()
	}
	if err != nil {
		return domain.TokenResponse{}, nil, req.CorrelationID, err
	}
	if r.maxAge != nil && resp.IDToken == "" {
		// max_age is only kept by checking auth_time, which only an ID token carries.
		return domain.TokenResponse{}, nil, req.CorrelationID, domain.Errorf(domain.ErrInvalidIDToken, "the response has no ID token, whose auth_time max_age requires")
	}
	var claims *domain.IDTokenClaims
	if resp.IDToken != "" && !r.appOnly {
		// The answer is in hand and the grant may be spent: the check may fetch keys past
		// the caller's deadline (bounded), so that a deadline does not cost the tokens.
		vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), idTokenCheckTimeout)
		defer cancel()
		if claims, err = e.checkIDToken(vctx, r, string(resp.IDToken)); err != nil {
			if errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrThrottled) {
				// Not a verdict on the token: the caller gets the tokens with the error.
				return domain.TokenResponse{AccessToken: resp.AccessToken, TokenType: resp.TokenType,
					RefreshToken: resp.RefreshToken, ExpiresIn: resp.ExpiresIn}, nil, req.CorrelationID, err
			}
			return domain.TokenResponse{}, nil, req.CorrelationID, err
		}
	}
	return resp, claims, req.CorrelationID, nil
}

// idTokenCheckTimeout bounds the ID-token check (metadata and key set) that follows a
// provider's answer, which runs past the caller's deadline.
const idTokenCheckTimeout = 30 * time.Second

// Bounds of the retries of a cache write after the provider answered: a store's
// passing fault (a busy SQLite file, a Postgres failover) must not cost a credential.
const (
	cacheWriteAttempts = 3
	cacheWriteBackoff  = 25 * time.Millisecond // doubled after each failure
)

// cacheResult writes a checked response, retrying a failed store up to
// cacheWriteAttempts times while ctx allows. When the store keeps failing it returns
// the write it could not make and its account with an ErrCacheStore error, so that
// redeem can still hand the tokens over.
func (e *engine) cacheResult(ctx context.Context, r redemption, resp domain.TokenResponse, rc domain.ResponseContext) (domain.CacheWrite, domain.Account, error) {
	w, acct, err := domain.BuildCacheWrite(resp, rc)
	if err != nil {
		return domain.CacheWrite{}, domain.Account{}, err
	}
	for attempt := 1; ; attempt++ {
		written, err := e.writeOnce(ctx, r, resp, rc, acct)
		if err == nil {
			return written, acct, nil
		}
		if !errors.Is(err, domain.ErrCacheStore) || attempt == cacheWriteAttempts || waitBackoff(ctx, attempt) != nil {
			return w, acct, err
		}
		e.log.WarnContext(ctx, "cache write failed; retrying", "op", r.op, "attempt", attempt, "error", err)
	}
}

// writeOnce reads the entries the new access token may supersede, then writes
// everything in one atomic step. Every failure it returns is ErrCacheStore.
func (e *engine) writeOnce(ctx context.Context, r redemption, resp domain.TokenResponse, rc domain.ResponseContext, acct domain.Account) (domain.CacheWrite, error) {
	found, err := e.store.Find(ctx, domain.CacheQuery{
		Partition: e.cfg.Partition, HomeAccountID: acct.HomeAccountID,
		Environments: r.authority.Environments(), ClientID: e.cfg.ClientID,
	})
	if err != nil {
		return domain.CacheWrite{}, cacheStoreErr(r.op+": read cache", err)
	}
	rc.Existing = found.AccessTokens
	w, _, err := domain.BuildCacheWrite(resp, rc)
	if err != nil {
		return domain.CacheWrite{}, err // cannot happen: the same response built once already
	}
	if len(r.req.Extra) > 0 {
		// Extra body parameters may change the token (RFC 8707's resource, an audience,
		// a claims-mapping switch) but are no part of the cache key: filed under the
		// plain key, the token would be served to requests that did not ask for them.
		// The refresh token, ID token and account are the same whatever was asked. The
		// result still reads the access token from w.
		stored := w
		stored.AccessToken, stored.DeleteAccessTokens = nil, nil
		if stored.RefreshToken == nil && stored.IDToken == nil && stored.Account == nil && stored.AppMetadata == nil {
			return w, nil
		}
		if err := e.store.Write(ctx, stored); err != nil {
			return domain.CacheWrite{}, cacheStoreErr(r.op+": write cache", err)
		}
		return w, nil
	}
	if err := e.store.Write(ctx, w); err != nil {
		return domain.CacheWrite{}, cacheStoreErr(r.op+": write cache", err)
	}
	return w, nil
}

// waitBackoff waits before retry number attempt, or returns ctx's error when ctx ends
// first. A timer, not the clock: the wait is a duration, never a time of day.
func waitBackoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(cacheWriteBackoff << (attempt - 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// cacheStoreErr classifies any failure of a store call as ErrCacheStore, a context
// error included (wrapped, so errors.Is still finds it): after the provider answered, a
// failed write must be told apart from a failed grant.
func cacheStoreErr(op string, err error) error {
	if errors.Is(err, domain.ErrCacheStore) {
		return err
	}
	return &domain.Error{Class: domain.ErrCacheStore, Op: op, Err: err}
}

// withTokens is what a shared or locked call hands back with err: the result when it
// holds tokens the provider issued that could not be cached or checked (redeem returned
// them with the error), else the zero result.
func withTokens(res domain.AuthResult, err error) (domain.AuthResult, error) {
	if err != nil && res.AccessToken == "" {
		return domain.AuthResult{}, err
	}
	return res, err
}

func fillResult(res *domain.AuthResult, resp domain.TokenResponse, rc domain.ResponseContext) {
	res.ExpiresOn = rc.Now.Add(resp.ExpiresIn)
	res.RefreshOn = domain.RefreshOnFor(rc.Now, resp.ExpiresIn, resp.RefreshIn)
	res.Scopes = rc.RequestedScopes
	if resp.Scope != nil {
		res.Scopes = resp.Scope
	}
	if rc.Account != nil {
		res.Account = *rc.Account
	}
}

// checkIDToken parses an ID token, checks its claims against the authority's issuer,
// the client id, the nonce sent and, on a refresh, the cached ID token of the same
// account and tenant (r.prev), and verifies its signature unless configured not to.
func (e *engine) checkIDToken(ctx context.Context, r redemption, raw string) (*domain.IDTokenClaims, error) {
	_, claims, err := domain.ParseIDToken(raw)
	if err != nil {
		return nil, err
	}
	meta, err := e.idp.Metadata(ctx, r.authority)
	if err != nil {
		return nil, err
	}
	want := domain.IDTokenExpectations{
		Issuer: meta.Issuer, ClientID: e.cfg.ClientID, Nonce: r.nonce, MaxAge: r.maxAge,
		Now: e.clock.Now(), Skew: e.cfg.ClockSkew,
	}
	if r.prev != nil {
		want.Previous = &r.prev.claims
	}
	if err := claims.Check(want); err != nil {
		return nil, err
	}
	if !e.cfg.InsecureSkipSignatureCheck {
		if err := e.idp.VerifyIDTokenSignature(ctx, r.authority, raw); err != nil {
			return nil, err
		}
	}
	return &claims, nil
}

// annotate returns a copy of a *domain.Error with the operation and correlation id
// filled in where it lacks them (the original may be shared by its producer). Other
// errors are returned unchanged.
func annotate(err error, op, correlationID string) error {
	de, ok := err.(*domain.Error)
	if !ok {
		return err
	}
	c := *de
	if c.Op == "" {
		c.Op = op
	}
	if c.CorrelationID == "" {
		c.CorrelationID = correlationID
	}
	return &c
}
