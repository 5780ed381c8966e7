package httpidp

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

const opAuthorize = "httpidp: authorization URL"

// AuthorizationURL implements ports.IdentityProvider: the authorization endpoint of
// the authority's metadata with the query of an authorization request (RFC 6749
// §4.1.1, OIDC Core §3.1.2.1, PKCE S256 per RFC 7636 §4.3). Parameters already in the
// endpoint's query (B2C's "p") are kept; Extra is added last and may not replace a
// parameter set from req.
func (p *Provider) AuthorizationURL(ctx context.Context, a domain.Authority, req domain.AuthorizationRequest) (string, error) {
	switch {
	case strings.TrimSpace(req.ClientID) == "":
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize, Description: "the authorization request needs a client id"}
	case req.RedirectURI == "":
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize, Description: "the authorization request needs a redirect URI"}
	case req.State == "":
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize, Description: "the authorization request needs a state"}
	case req.MaxAge != nil && *req.MaxAge < 0:
		return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize, Description: "max_age must not be negative"}
	}
	meta, err := p.Metadata(ctx, a)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(meta.AuthorizationEndpoint)
	if err != nil {
		return "", &domain.Error{Class: domain.ErrDiscovery, Op: opAuthorize, Description: "the authorization endpoint is not a URL"}
	}
	q := u.Query()
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("response_type", "code")
	set("client_id", req.ClientID)
	set("redirect_uri", req.RedirectURI)
	set("scope", strings.Join(req.Scopes, " "))
	set("state", req.State)
	set("nonce", req.Nonce)
	if req.CodeChallenge != "" {
		set("code_challenge", req.CodeChallenge)
		set("code_challenge_method", domain.PKCEMethod)
	}
	set("prompt", req.Prompt)
	set("login_hint", req.LoginHint)
	set("domain_hint", req.DomainHint)
	set("claims", req.Claims)
	if req.MaxAge != nil {
		q.Set("max_age", strconv.FormatInt(int64(req.MaxAge.Seconds()), 10))
	}
	set("response_mode", req.ResponseMode)
	for k, vs := range req.Extra {
		if _, taken := q[k]; taken {
			return "", &domain.Error{Class: domain.ErrInvalidInput, Op: opAuthorize, Description: "extra parameter " + quote(k) + " would replace a parameter of the request"}
		}
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
