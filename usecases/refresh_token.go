package usecases

import (
	"context"

	"github.com/hexauth/hexauth/domain"
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
	scopes, err := domain.RequestScopes(req.Scopes)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if err := firstErr(domain.CheckRefreshToken(req.RefreshToken), domain.CheckCorrelationID(req.CorrelationID),
		checkContext(ctx, "refresh token")); err != nil {
		return domain.AuthResult{}, err
	}
	authority := r.e.authority(req.Authority)
	account, err := r.account(ctx, authority, req.Account)
	if err != nil {
		return domain.AuthResult{}, classifyDone("refresh token", err)
	}
	res, err := r.e.redeem(ctx, redemption{
		op:        "refresh token",
		req:       domain.TokenRequest{Grant: domain.GrantRefreshToken, RefreshToken: req.RefreshToken, CorrelationID: req.CorrelationID},
		authority: authority, scopes: scopes, account: account, exposeRefreshToken: true, cacheOptional: true,
	})
	return res, classifyDone("refresh token", err)
}

// account returns the cached record of the account the caller named (so that a caller
// passing only its home account id does not overwrite its username), else the account
// as given; nil when none was named.
func (r *RefreshTokenRedeemer) account(ctx context.Context, authority domain.Authority, named *domain.Account) (*domain.Account, error) {
	if named == nil {
		return nil, nil
	}
	if named.HomeAccountID == "" {
		return nil, domain.Errorf(domain.ErrInvalidInput, "refresh token: the account named has no home account id")
	}
	found, err := r.e.store.Find(ctx, domain.CacheQuery{
		Partition: r.e.cfg.Partition, HomeAccountID: named.HomeAccountID,
		Environments: authority.Environments(), ClientID: r.e.cfg.ClientID,
	})
	if err != nil {
		return nil, storeErr("refresh token: read cache", err)
	}
	realm := named.Realm
	if authority.IsIssuerRealm() {
		realm = authority.Realm() // an OIDC issuer's account is only ever its own realm's
	}
	acct := accountOf(found, authority, *named, realm)
	acct.Realm = realm
	return &acct, nil
}
