package azcore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	azsdk "github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// CAECapability is the client capability that declares continuous access evaluation
// support ("cp1"): the CAE client of a Credential must declare it, the plain client
// must not.
const CAECapability = "cp1"

// AllTenants in Options.AdditionallyAllowedTenants allows a GetToken for any tenant.
const AllTenants = "*"

// Options configure a Credential. The zero value (or nil) is valid.
type Options struct {
	// AdditionallyAllowedTenants names the tenants, besides the client's own, that a
	// GetToken may ask for through TokenRequestOptions.TenantID, as azidentity's option
	// of that name does: tenant ids or domains, compared ignoring case, or AllTenants.
	// Nil allows the client's own tenant only: an Azure SDK client that names another
	// tenant (a challenge from a resource in another tenant, say) then gets
	// domain.ErrInvalidInput, instead of the credential quietly acquiring there.
	AdditionallyAllowedTenants []string
}

// Credential is an azcore.TokenCredential over hexauth clients. It is safe for
// concurrent use and keeps no token of its own (see the package doc).
type Credential struct {
	cae, plain acquirer
	tenant     string   // the clients' own tenant ("" for an authority with no tenant)
	allowed    []string // AdditionallyAllowedTenants, lower-cased
	anyTenant  bool
}

var _ azsdk.TokenCredential = (*Credential)(nil)

// acquirer acquires a token for scopes, with a challenge's claims and another tenant
// when they are not empty.
type acquirer func(ctx context.Context, scopes []string, claims, tenant string) (app.AuthResult, error)

// capable is what the constructors check of a client.
type capable interface {
	ClientCapabilities() []string
	Authority() domain.Authority
}

// NewPublic returns a Credential that acquires silently for account, through cae for
// requests with EnableCAE and through plain for the others (see the package doc for why
// two clients; either may be nil, not both). It never prompts. cae must declare
// CAECapability (app.Config.ClientCapabilities) and plain must not; account must be a
// signed-in account (one that Accounts or a sign-in returned). Anything else is
// domain.ErrInvalidInput.
func NewPublic(cae, plain *app.PublicClient, account app.Account, opts *Options) (*Credential, error) {
	if account.HomeAccountID == "" {
		return nil, domain.Errorf(domain.ErrInvalidInput, "azcore: NewPublic needs a signed-in account")
	}
	silent := func(pc *app.PublicClient) acquirer {
		if pc == nil {
			return nil
		}
		return func(ctx context.Context, scopes []string, claims, tenant string) (app.AuthResult, error) {
			return pc.AcquireTokenSilent(ctx, scopes, account, silentOptions(claims, tenant)...)
		}
	}
	return newCredential(clientOrNil(cae), clientOrNil(plain), silent(cae), silent(plain), opts)
}

// NewConfidential returns a Credential that acquires app tokens by client credentials
// (AcquireTokenForClient), through cae for requests with EnableCAE and through plain
// for the others; the rules are NewPublic's.
func NewConfidential(cae, plain *app.ConfidentialClient, opts *Options) (*Credential, error) {
	forClient := func(cc *app.ConfidentialClient) acquirer {
		if cc == nil {
			return nil
		}
		return func(ctx context.Context, scopes []string, claims, tenant string) (app.AuthResult, error) {
			return cc.AcquireTokenForClient(ctx, scopes, clientOptions(claims, tenant)...)
		}
	}
	return newCredential(clientOrNil(cae), clientOrNil(plain), forClient(cae), forClient(plain), opts)
}

// clientOrNil turns a nil *app.PublicClient or *app.ConfidentialClient into a nil
// interface, so that newCredential can tell an absent client.
func clientOrNil[C interface {
	*app.PublicClient | *app.ConfidentialClient
	capable
}](c C) capable {
	if c == nil {
		return nil
	}
	return c
}

func newCredential(caeClient, plainClient capable, cae, plain acquirer, opts *Options) (*Credential, error) {
	if caeClient == nil && plainClient == nil {
		return nil, domain.Errorf(domain.ErrInvalidInput, "azcore: a credential needs a CAE client, a plain client or both")
	}
	if caeClient != nil && !slices.Contains(caeClient.ClientCapabilities(), CAECapability) {
		return nil, domain.Errorf(domain.ErrInvalidInput, "azcore: the CAE client must declare the client capability %q (app.Config.ClientCapabilities)", CAECapability)
	}
	if plainClient != nil && slices.Contains(plainClient.ClientCapabilities(), CAECapability) {
		return nil, domain.Errorf(domain.ErrInvalidInput, "azcore: the plain client declares %q: its tokens would be CAE tokens; pass it as the CAE client", CAECapability)
	}
	ref := caeClient
	if ref == nil {
		ref = plainClient
	}
	if caeClient != nil && plainClient != nil && !strings.EqualFold(caeClient.Authority().Tenant, plainClient.Authority().Tenant) {
		return nil, domain.Errorf(domain.ErrInvalidInput, "azcore: the CAE and plain clients must have the same tenant")
	}
	c := &Credential{cae: cae, plain: plain, tenant: ref.Authority().Tenant}
	if opts != nil {
		for _, t := range opts.AdditionallyAllowedTenants {
			switch {
			case t == AllTenants:
				c.anyTenant = true
			case t == "" || strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r == '/' || r >= 0x7f }):
				return nil, domain.Errorf(domain.ErrInvalidInput, "azcore: AdditionallyAllowedTenants holds an empty or malformed tenant")
			default:
				c.allowed = append(c.allowed, strings.ToLower(t))
			}
		}
	}
	return c, nil
}

// silentOptions and clientOptions turn a request's claims and tenant into per-call
// options of AcquireTokenSilent and AcquireTokenForClient.
func silentOptions(claims, tenant string) []app.SilentOption {
	var opts []app.SilentOption
	if claims != "" {
		opts = append(opts, app.WithClaims(claims))
	}
	if tenant != "" {
		opts = append(opts, app.WithTenantID(tenant))
	}
	return opts
}

func clientOptions(claims, tenant string) []app.ClientOption {
	var opts []app.ClientOption
	if claims != "" {
		opts = append(opts, app.WithClaims(claims))
	}
	if tenant != "" {
		opts = append(opts, app.WithTenantID(tenant))
	}
	return opts
}

// GetToken implements azcore.TokenCredential (see the package doc for how each option
// is honoured).
func (c *Credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azsdk.AccessToken, error) {
	if len(opts.Scopes) == 0 {
		return azsdk.AccessToken{}, domain.Errorf(domain.ErrInvalidInput, "azcore: GetToken needs at least one scope")
	}
	tenant, err := c.tenantFor(opts.TenantID)
	if err != nil {
		return azsdk.AccessToken{}, err
	}
	acquire := c.plain
	if opts.EnableCAE && c.cae != nil {
		acquire = c.cae
	}
	if acquire == nil {
		return azsdk.AccessToken{}, domain.Errorf(domain.ErrInvalidInput,
			"azcore: GetToken without EnableCAE needs the plain client; this credential has only a CAE client, whose tokens need a caller that answers claims challenges")
	}
	res, err := acquire(ctx, slices.Clone(opts.Scopes), opts.Claims, tenant)
	if err != nil {
		return azsdk.AccessToken{}, fmt.Errorf("azcore: GetToken: %w", err)
	}
	token, err := res.BearerToken()
	if err != nil {
		return azsdk.AccessToken{}, fmt.Errorf("azcore: GetToken: %w", err)
	}
	at := azsdk.AccessToken{Token: string(token), ExpiresOn: res.ExpiresOn.UTC()}
	if !res.RefreshOn.IsZero() {
		at.RefreshOn = res.RefreshOn.UTC()
	}
	return at, nil
}

// tenantFor returns the tenant a GetToken goes to: "" (the client's own) when the
// request names none or the client's own; the requested one when the allow-list
// permits it.
func (c *Credential) tenantFor(requested string) (string, error) {
	if requested == "" || strings.EqualFold(requested, c.tenant) {
		return "", nil
	}
	if c.anyTenant || slices.Contains(c.allowed, strings.ToLower(requested)) {
		return requested, nil
	}
	return "", domain.Errorf(domain.ErrInvalidInput,
		"azcore: GetToken for tenant %q, not the client's: add it to Options.AdditionallyAllowedTenants (or %q for any) to allow it", requested, AllTenants)
}
