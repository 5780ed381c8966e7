package usecases

import (
	"context"
	"net/url"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// PasswordRequest is one resource-owner password credentials request.
type PasswordRequest struct {
	Username      string
	Password      domain.Secret
	Scopes        []string
	Authority     *domain.Authority
	Claims        string
	CorrelationID string
	// ExtraBody are further token-request parameters (MSAL's **kwargs), checked with
	// domain.CheckExtraParameters before any call.
	ExtraBody url.Values
}

// UsernamePassword is the resource-owner password credentials grant (RFC 6749 §4.3,
// MSAL's acquire_token_by_username_password). Its result is cached like any other.
type UsernamePassword struct{ e *engine }

// NewUsernamePassword returns the username/password flow.
func NewUsernamePassword(cfg Config, deps Deps) (*UsernamePassword, error) {
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &UsernamePassword{e: e}, nil
}

// Acquire redeems the user's password for tokens. A wrong password is
// domain.ErrInvalidGrant; a user who must complete multi-factor authentication or
// consent is domain.ErrInteractionRequired (with the provider's claims challenge).
func (u *UsernamePassword) Acquire(ctx context.Context, req PasswordRequest) (domain.AuthResult, error) {
	return u.e.observe(ctx, ports.FlowUsernamePassword, req.Authority, func(ctx context.Context) (domain.AuthResult, error) {
		return u.acquireChecked(ctx, req)
	})
}

func (u *UsernamePassword) acquireChecked(ctx context.Context, req PasswordRequest) (domain.AuthResult, error) {
	scopes, err := domain.UserFlowScopes(req.Scopes)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if err := firstErr(domain.CheckCredentials(req.Username, req.Password), u.e.checkOptional(req.Claims, req.CorrelationID),
		domain.CheckExtraParameters("username/password", req.ExtraBody), checkContext(ctx, "username/password")); err != nil {
		return domain.AuthResult{}, err
	}
	res, err := u.e.redeem(ctx, redemption{
		op: "username/password",
		req: domain.TokenRequest{
			Grant: domain.GrantPassword, Username: req.Username, Password: req.Password,
			Claims: req.Claims, CorrelationID: req.CorrelationID, Extra: req.ExtraBody,
		},
		authority: u.e.authority(req.Authority), scopes: scopes, exposeRefreshToken: true,
	})
	return res, classifyDone("username/password", err)
}
