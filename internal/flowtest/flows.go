package flowtest

import (
	"context"
	"net/url"

	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// Config returns the use cases' configuration of clientID — setup's ClientID or one of
// its Clients, authenticating with its secret — on authority, in the zero partition.
func Config(setup conformance.FlowSetup, clientID string, authority domain.Authority) usecases.Config {
	cfg := usecases.Config{ClientID: clientID, Authority: authority}
	for _, c := range setup.Clients {
		if c.ID == clientID && c.Secret != "" {
			cfg.Credential = domain.ClientCredential{Secret: domain.Secret(c.Secret)}
		}
	}
	return cfg
}

// New returns the flows of one client over the use cases. Its ClientCredentials
// reaches only the client's own authority; a public client's fails with the error
// usecases.NewClientCredentials gives.
func New(cfg usecases.Config, deps usecases.Deps) (conformance.Flows, error) {
	return newFlows(cfg, deps, nil)
}

// newFlows is New with the tenant authorities ClientCredentials may reach (nil: none).
func newFlows(cfg usecases.Config, deps usecases.Deps, tenants TenantAuthorities) (*flows, error) {
	f := &flows{tenants: tenants}
	var err error
	if f.silent, err = usecases.NewSilent(cfg, deps); err != nil {
		return nil, err
	}
	if f.authCode, err = usecases.NewAuthCode(cfg, deps); err != nil {
		return nil, err
	}
	if f.password, err = usecases.NewUsernamePassword(cfg, deps); err != nil {
		return nil, err
	}
	if f.refresh, err = usecases.NewRefreshTokenRedeemer(cfg, deps); err != nil {
		return nil, err
	}
	if f.accounts, err = usecases.NewAccounts(cfg, deps); err != nil {
		return nil, err
	}
	if f.legacy, err = usecases.NewLegacyCode(cfg, deps); err != nil {
		return nil, err
	}
	if f.device, err = usecases.NewDeviceCode(cfg, deps); err != nil {
		return nil, err
	}
	// A public client has no client-credentials flow: keep the constructor's refusal
	// to return from ClientCredentials, as an app would see it.
	f.app, f.appErr = usecases.NewClientCredentials(cfg, deps)
	return f, nil
}

type flows struct {
	silent   *usecases.Silent
	authCode *usecases.AuthCode
	password *usecases.UsernamePassword
	refresh  *usecases.RefreshTokenRedeemer
	accounts *usecases.Accounts
	legacy   *usecases.LegacyCode
	device   *usecases.DeviceCode
	app      *usecases.ClientCredentials
	appErr   error
	tenants  TenantAuthorities
}

// The methods of flows implement conformance.Flows, each by one use case.

func (f *flows) Silent(ctx context.Context, scopes []string, acct domain.Account, force bool) (domain.AuthResult, error) {
	return f.silent.Acquire(ctx, usecases.SilentRequest{Scopes: scopes, Account: acct, ForceRefresh: force})
}

func (f *flows) Password(ctx context.Context, username, password string, scopes []string) (domain.AuthResult, error) {
	return f.password.Acquire(ctx, usecases.PasswordRequest{Username: username, Password: domain.Secret(password), Scopes: scopes})
}

func (f *flows) InitiateAuthCode(ctx context.Context, scopes []string, redirectURI string) (domain.AuthCodeFlow, error) {
	return f.authCode.Initiate(ctx, usecases.AuthCodeRequest{Scopes: scopes, RedirectURI: redirectURI})
}

func (f *flows) CompleteAuthCode(ctx context.Context, flow domain.AuthCodeFlow, response url.Values) (domain.AuthResult, error) {
	return f.authCode.Complete(ctx, flow, response)
}

func (f *flows) RefreshToken(ctx context.Context, rt string, scopes []string) (domain.AuthResult, error) {
	return f.refresh.Acquire(ctx, usecases.RefreshTokenRequest{RefreshToken: domain.Secret(rt), Scopes: scopes})
}

func (f *flows) Accounts(ctx context.Context, username string) ([]domain.Account, error) {
	return f.accounts.List(ctx, username)
}

func (f *flows) RemoveAccount(ctx context.Context, acct domain.Account) error {
	return f.accounts.Remove(ctx, acct)
}

func (f *flows) ClientCredentials(ctx context.Context, scopes []string, tenant string) (domain.AuthResult, error) {
	if f.appErr != nil {
		return domain.AuthResult{}, f.appErr
	}
	req := usecases.ClientRequest{Scopes: scopes}
	if tenant != "" {
		if f.tenants == nil {
			return domain.AuthResult{}, domain.Errorf(domain.ErrInvalidInput, "flowtest: the provider serves no tenant authorities")
		}
		a, err := domain.ParseAuthority(f.tenants.TenantAuthority(tenant), domain.AuthorityEntra)
		if err != nil {
			return domain.AuthResult{}, err
		}
		req.Authority = &a
	}
	return f.app.Acquire(ctx, req)
}

func (f *flows) RedeemCode(ctx context.Context, r conformance.CodeRedemption) (domain.AuthResult, error) {
	return f.legacy.Acquire(ctx, usecases.CodeRequest{
		Code: domain.Secret(r.Code), RedirectURI: r.RedirectURI, Scopes: r.Scopes,
		CodeVerifier: domain.Secret(r.CodeVerifier), Nonce: r.Nonce,
	})
}

func (f *flows) InitiateDevice(ctx context.Context, scopes []string) (domain.DeviceFlow, error) {
	return f.device.Initiate(ctx, usecases.DeviceRequest{Scopes: scopes})
}

func (f *flows) AcquireByDevice(ctx context.Context, flow domain.DeviceFlow) (domain.AuthResult, error) {
	return f.device.Acquire(ctx, flow, usecases.DeviceCompletion{})
}
