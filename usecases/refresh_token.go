package usecases

import (
	"context"

	"github.com/hexauth/hexauth/domain"
)

// RefreshTokenRequest redeems a refresh token the caller holds.
type RefreshTokenRequest struct {
	RefreshToken  domain.Secret
	Scopes        []string
	Authority     *domain.Authority
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

// Acquire redeems req.RefreshToken. The result carries the refresh token the provider
// issued (a rotated one when it rotates). A response that names no account (no ID token)
// is returned without being cached, so that a rotated refresh token is not lost.
func (r *RefreshTokenRedeemer) Acquire(ctx context.Context, req RefreshTokenRequest) (domain.AuthResult, error) {
	scopes, err := domain.RequestScopes(req.Scopes)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if req.RefreshToken == "" {
		return domain.AuthResult{}, domain.Errorf(domain.ErrInvalidInput, "refresh token: a refresh token is required")
	}
	return r.e.redeem(ctx, redemption{
		op:        "refresh token",
		req:       domain.TokenRequest{Grant: domain.GrantRefreshToken, RefreshToken: req.RefreshToken, CorrelationID: req.CorrelationID},
		authority: r.e.authority(req.Authority), scopes: scopes, exposeRefreshToken: true, cacheOptional: true,
	})
}
