package usecases

import (
	"context"
	"net/url"
	"slices"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// RefreshTokenRequest redeems a refresh token the caller holds.
type RefreshTokenRequest struct {
	RefreshToken domain.Secret
	Scopes       []string
	Authority    *domain.Authority
	// Account, when set, is the account the refresh token belongs to (as Accounts or an
	// earlier result returned it). A response that names no account — no ID token and no
	// client_info, as Google, Okta and some Keycloak set-ups answer a refresh — is then
	// cached under it, as a silent refresh is; a response that names another account is
	// refused (ErrInvalidIDToken) and nothing is cached.
	Account       *domain.Account
	CorrelationID string
	// ExtraBody are further token-request parameters (MSAL's **kwargs), checked with
	// domain.CheckExtraParameters before any call.
	ExtraBody url.Values
}

// RefreshTokenRedeemer redeems a refresh token obtained elsewhere (MSAL's
// acquire_token_by_refresh_token), typically when migrating users into hexauth. The
// result, including the new refresh token, is cached so later silent calls find it.
type RefreshTokenRedeemer struct{ e *engine }

// NewRefreshTokenRedeemer returns the refresh-token flow.
func NewRefreshTokenRedeemer(cfg Config, deps Deps) (*RefreshTokenRedeemer, error) {
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &RefreshTokenRedeemer{e: e}, nil
}

// Acquire redeems req.RefreshToken. The result always carries the refresh token the
// provider issued (a rotated one when it rotates: the one presented may be spent). The
// response is cached under the account its ID token or client_info names, else under
// req.Account; when neither names one it is returned uncached, with a zero Account, so
// that the caller can keep the refresh token. A refresh token presented without
// req.Account is not looked up in the cache: the store finds entries by account, never
// by secret.
func (r *RefreshTokenRedeemer) Acquire(ctx context.Context, req RefreshTokenRequest) (domain.AuthResult, error) {
	return r.e.observe(ctx, ports.FlowRefreshToken, req.Authority, func(ctx context.Context) (domain.AuthResult, error) {
		return r.acquireChecked(ctx, req)
	})
}

func (r *RefreshTokenRedeemer) acquireChecked(ctx context.Context, req RefreshTokenRequest) (domain.AuthResult, error) {
	scopes, err := domain.UserFlowScopes(req.Scopes)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if err := firstErr(domain.CheckRefreshToken(req.RefreshToken), domain.CheckCorrelationID(req.CorrelationID),
		domain.CheckExtraParameters("refresh token", req.ExtraBody), checkContext(ctx, "refresh token")); err != nil {
		return domain.AuthResult{}, err
	}
	authority := r.e.authority(req.Authority)
	account, held, err := r.account(ctx, authority, req.Account, req.RefreshToken)
	if err != nil {
		return domain.AuthResult{}, classifyDone("refresh token", err)
	}
	redeem := func(ctx context.Context) (domain.AuthResult, error) {
		return r.e.redeem(ctx, redemption{
			op:        "refresh token",
			req:       domain.TokenRequest{Grant: domain.GrantRefreshToken, RefreshToken: req.RefreshToken, CorrelationID: req.CorrelationID, Extra: req.ExtraBody},
			authority: authority, scopes: scopes, account: account, presented: held, exposeRefreshToken: true, cacheOptional: true,
		})
	}
	if account == nil {
		res, err := redeem(ctx)
		return res, classifyDone("refresh token", err)
	}
	// The account's own refresh token is redeemed: under its refresh lock, as a silent
	// refresh would be, so that a silent refresh does not send it at the same time and a
	// RemoveAccount is not undone by this write.
	var res domain.AuthResult
	var fnErr error
	err = r.e.withRefreshLock(ctx, ports.FlowRefreshToken, r.e.refreshLockKey(authority, *account), func(ctx context.Context) error {
		res, fnErr = redeem(ctx)
		return fnErr
	})
	if err != nil {
		res, err = withTokens(res, lockErr("refresh token: refresh lock", err, fnErr))
	}
	return res, classifyDone("refresh token", err)
}

// account returns the cached record of the account the caller named (so that a caller
// passing only its home account id does not overwrite its username), else the account
// as given; nil when none was named, or when the account does not hold the presented
// refresh token in the cache: naming an account is no proof that the token is its
// (issue 10: the account is known when the presented token is cached for it), and
// Bob's token redeemed "for Alice" must not make Bob's access token hers. The response
// is then cached only under the account its ID token or client_info names.
func (r *RefreshTokenRedeemer) account(ctx context.Context, authority domain.Authority, named *domain.Account, presented domain.Secret) (*domain.Account, *domain.RefreshToken, error) {
	if named == nil {
		return nil, nil, nil
	}
	if named.HomeAccountID == "" {
		return nil, nil, domain.Errorf(domain.ErrInvalidInput, "refresh token: the account named has no home account id")
	}
	found, err := r.e.store.Find(ctx, domain.CacheQuery{
		Partition: r.e.cfg.Partition, HomeAccountID: named.HomeAccountID,
		Environments: authority.Environments(), ClientID: r.e.cfg.ClientID,
	})
	if err != nil {
		return nil, nil, storeErr("refresh token: read cache", err)
	}
	found = ofAccount(found, authority, named.HomeAccountID) // an OIDC subject's case twin is another person
	realm := named.Realm
	if authority.IsIssuerRealm() {
		realm = authority.Realm() // an OIDC issuer's account is only ever its own realm's
	}
	candidates := refreshCandidates(found, authority, r.e.cfg.ClientID)
	i := slices.IndexFunc(candidates, func(rt domain.RefreshToken) bool {
		return domain.ConstantTimeEqual(string(rt.Secret), string(presented))
	})
	if i < 0 {
		r.e.log.WarnContext(ctx, "refresh token: the account named does not hold the presented refresh token in the cache; the response is cached only under an account it names")
		return nil, nil, nil
	}
	acct := accountOf(found, authority, *named, realm)
	acct.Realm = realm
	// The cached token is what a rotation replaces: the new one records it as spent.
	return &acct, &candidates[i], nil
}
