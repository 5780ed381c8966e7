package usecases

import (
	"context"
	"net/url"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// CodeRequest redeems an authorization code obtained without a flow object.
type CodeRequest struct {
	Code          domain.Secret
	RedirectURI   string
	Scopes        []string
	Authority     *domain.Authority
	CodeVerifier  domain.Secret // when the authorization request used PKCE
	Nonce         string        // when the authorization request sent one
	CorrelationID string
	// ExtraBody are further token-request parameters (MSAL's **kwargs), checked with
	// domain.CheckExtraParameters before any call.
	ExtraBody url.Values
}

// LegacyCode redeems an authorization code directly (MSAL's
// acquire_token_by_authorization_code). Prefer AuthCode: it checks state and nonce,
// which this cannot.
type LegacyCode struct{ e *engine }

// NewLegacyCode returns the legacy authorization-code flow.
func NewLegacyCode(cfg Config, deps Deps) (*LegacyCode, error) {
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &LegacyCode{e: e}, nil
}

// Acquire redeems req.Code with the redirect URI it was issued for.
func (l *LegacyCode) Acquire(ctx context.Context, req CodeRequest) (domain.AuthResult, error) {
	return l.e.observe(ctx, ports.FlowAuthorizationCode, req.Authority, func(ctx context.Context) (domain.AuthResult, error) {
		return l.acquireChecked(ctx, req)
	})
}

func (l *LegacyCode) acquireChecked(ctx context.Context, req CodeRequest) (domain.AuthResult, error) {
	scopes, err := domain.UserFlowScopes(req.Scopes)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if req.Code == "" {
		return domain.AuthResult{}, domain.Errorf(domain.ErrInvalidInput, "authorization code: a code is required")
	}
	if err := firstErr(domain.CheckVSChars(domain.ErrInvalidInput, "authorization code", string(req.Code), domain.MaxCodeBytes),
		domain.CheckOptionalRedirectURI(req.RedirectURI), domain.CheckCorrelationID(req.CorrelationID),
		domain.CheckVSChars(domain.ErrInvalidInput, "code verifier", string(req.CodeVerifier), domain.MaxPKCEBytes),
		domain.CheckVSChars(domain.ErrInvalidInput, "nonce", req.Nonce, domain.MaxNonceBytes),
		domain.CheckExtraParameters("authorization code", req.ExtraBody), checkContext(ctx, "authorization code")); err != nil {
		return domain.AuthResult{}, err
	}
	res, err := l.e.redeem(ctx, redemption{
		op: "authorization code",
		req: domain.TokenRequest{
			Grant: domain.GrantAuthorizationCode, Code: req.Code, CodeVerifier: req.CodeVerifier,
			RedirectURI: req.RedirectURI, CorrelationID: req.CorrelationID, Extra: req.ExtraBody,
		},
		authority: l.e.authority(req.Authority), scopes: scopes, nonce: req.Nonce, exposeRefreshToken: true,
	})
	return res, classifyDone("authorization code", err)
}
