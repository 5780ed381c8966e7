package usecases

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"golang.org/x/sync/singleflight"
)

// ClientRequest is one client-credentials request.
type ClientRequest struct {
	Scopes        []string // e.g. "https://graph.microsoft.com/.default"
	Authority     *domain.Authority
	ForceRefresh  bool
	Claims        string
	CorrelationID string
	// ExtraBody are further token-request parameters (MSAL's **kwargs), checked with
	// domain.CheckExtraParameters before any call.
	ExtraBody url.Values
}

// ClientCredentials acquires app tokens with the client credentials grant (RFC 6749
// §4.4) for a confidential client. App tokens are cached per client and tenant, with no
// account, and served from the cache while usable.
type ClientCredentials struct {
	e *engine
	// flight is shared by every partition of the flow (the key names the partition).
	flight *singleflight.Group
}

// NewClientCredentials returns the client-credentials flow. The client must have a
// credential.
func NewClientCredentials(cfg Config, deps Deps) (*ClientCredentials, error) {
	if cfg.Credential.IsZero() {
		return nil, domain.Errorf(domain.ErrInvalidInput, "client credentials: a confidential client (secret or certificate) is required")
	}
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &ClientCredentials{e: e, flight: new(singleflight.Group)}, nil
}

// Acquire returns a cached app token covering the scopes, or a new one.
// The request is checked before any store or provider call (ErrInvalidInput); a
// context that ends is ErrUnavailable, or ErrCacheStore inside a store call (inputs.go).
func (c *ClientCredentials) Acquire(ctx context.Context, req ClientRequest) (domain.AuthResult, error) {
	return c.e.observe(ctx, ports.FlowClientCredentials, req.Authority, func(ctx context.Context) (domain.AuthResult, error) {
		return c.acquireChecked(ctx, req)
	})
}

func (c *ClientCredentials) acquireChecked(ctx context.Context, req ClientRequest) (domain.AuthResult, error) {
	scopes, err := domain.RequestScopes(req.Scopes)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if err := firstErr(c.e.checkOptional(req.Claims, req.CorrelationID), domain.CheckExtraParameters("client credentials", req.ExtraBody), checkContext(ctx, "client credentials")); err != nil {
		return domain.AuthResult{}, err
	}
	res, err := c.acquire(ctx, req, scopes)
	return res, classifyDone("client credentials", err)
}

func (c *ClientCredentials) acquire(ctx context.Context, req ClientRequest, scopes []string) (domain.AuthResult, error) {
	authority := c.e.authority(req.Authority)
	// Extra body parameters may ask for another token than the plain request (RFC 8707's
	// resource, an audience); they are not in the cache key, so such a request neither
	// reads the cache nor writes its token there (redeem).
	useCache := !req.ForceRefresh && req.Claims == "" && len(req.ExtraBody) == 0
	if useCache {
		res, ok, err := c.cached(ctx, authority, scopes)
		if err == nil {
			c.e.cacheLookedUp(ctx, ports.FlowClientCredentials, ok)
		}
		if err != nil || ok {
			return res, err
		}
	}
	// Length-prefixed fields (domain.JoinKey): the partition and claims are caller text.
	key := domain.JoinKey(c.e.cfg.Partition, authority.CanonicalURL(), domain.JoinScopes(scopes), req.Claims, strconv.FormatBool(useCache), req.ExtraBody.Encode())
	return shared(ctx, c.flight, key, flight{op: "client credentials", flow: ports.FlowClientCredentials, e: c.e}, func(ctx context.Context) (domain.AuthResult, error) {
		lock := domain.RefreshLockKey{Partition: c.e.cfg.Partition, ClientID: c.e.cfg.ClientID, Environment: authority.Host, Realm: authority.Realm()}
		var res domain.AuthResult
		var fnErr error
		err := c.e.withRefreshLock(ctx, ports.FlowClientCredentials, lock, func(ctx context.Context) error {
			if useCache {
				r, ok, err := c.cached(ctx, authority, scopes)
				if err != nil || ok {
					res, fnErr = r, err
					return err
				}
			}
			res, fnErr = c.e.redeem(ctx, redemption{
				op:        "client credentials",
				req:       domain.TokenRequest{Grant: domain.GrantClientCredentials, Claims: req.Claims, CorrelationID: req.CorrelationID, Extra: req.ExtraBody},
				authority: authority, scopes: scopes, appOnly: true,
			})
			return fnErr
		})
		return res, lockErr("client credentials: refresh lock", err, fnErr)
	})
}

func (c *ClientCredentials) cached(ctx context.Context, authority domain.Authority, scopes []string) (domain.AuthResult, bool, error) {
	found, err := c.e.store.Find(ctx, domain.CacheQuery{
		Partition: c.e.cfg.Partition, Environments: authority.Environments(), ClientID: c.e.cfg.ClientID,
	})
	if err != nil {
		return domain.AuthResult{}, false, storeErr("client credentials: read cache", err)
	}
	now := c.e.clock.Now()
	for _, at := range found.AccessTokens {
		if at.HomeAccountID == "" && at.ClientID == c.e.cfg.ClientID && authority.SameRealm(at.Realm, authority.Realm()) &&
			strings.EqualFold(at.TokenType, "Bearer") &&
			at.Usable(now, c.e.cfg.ExpiryBuffer) && c.e.matcher.Contains(at.Scopes(), scopes) {
			if why := at.Servable(now, c.e.cfg.ClockSkew); why != "" {
				c.e.log.WarnContext(ctx, "cached access token not served", "key", at.Key(), "reason", why)
				continue
			}
			return domain.AuthResult{
				AccessToken: at.Secret, TokenType: at.TokenType, ExpiresOn: at.ExpiresOn, RefreshOn: at.RefreshOn,
				Scopes: at.Scopes(), TokenSource: domain.SourceCache,
			}, true, nil
		}
	}
	return domain.AuthResult{}, false, nil
}
