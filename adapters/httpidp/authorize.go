package httpidp

import (
	"context"
	"net/url"

	"github.com/hexauth/hexauth/domain"
)

const opAuthorize = "httpidp: authorization URL"

// AuthorizationURL implements ports.IdentityProvider: the authorization endpoint of
// the authority's metadata with the query of an authorization request (RFC 6749
// §4.1.1, OIDC Core §3.1.2.1, PKCE S256 per RFC 7636 §4.3). Parameters already in the
// endpoint's query (B2C's "p") are kept; Extra is added last and may not replace a
// parameter set from req or one of the endpoint's, in any letter case (ErrInvalidInput).
func (p *Provider) AuthorizationURL(ctx context.Context, a domain.Authority, req domain.AuthorizationRequest) (string, error) {
	params, err := req.Query()
	if err != nil {
		return "", withOp(err, opAuthorize)
	}
	if req.State == "" {
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize, Description: "the authorization request needs a state"}
	}
	meta, err := p.Metadata(ctx, a)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(meta.AuthorizationEndpoint)
	if err != nil {
		return "", &domain.Error{Class: domain.ErrDiscovery, Op: opAuthorize, Description: "the authorization endpoint is not a URL"}
	}
	q := u.Query() // parameters of the endpoint itself (B2C's "p") are kept
	for k := range req.Extra {
		// An extra named like one of the endpoint's would replace it: p=another B2C
		// user flow (one without MFA, say) than the authority's.
		if taken := domain.HasParameterFold(q, k); taken != "" {
			return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize,
				Description: "extra parameter \"" + k + "\" would replace the authorization endpoint's own \"" + taken + "\""}
		}
	}
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// withOp returns a copy of a *domain.Error with its operation set.
func withOp(err error, op string) error {
	de, ok := err.(*domain.Error)
	if !ok {
		return err
	}
	c := *de
	c.Op = op
	return &c
}
