package usecases

import (
	"context"
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"golang.org/x/sync/singleflight"
)

// SilentRequest is one silent acquisition.
type SilentRequest struct {
	Scopes        []string
	Account       domain.Account
	Authority     *domain.Authority // nil: the client's authority
	ForceRefresh  bool              // skip the cached access token
	Claims        string            // a claims challenge; implies skipping the cache
	CorrelationID string
}

// Silent acquires tokens without user interaction: from the cache, or by redeeming a
// cached refresh token (DESIGN §3 "Silent acquisition").
type Silent struct {
	e      *engine
	flight singleflight.Group
}

// NewSilent returns the silent flow.
func NewSilent(cfg Config, deps Deps) (*Silent, error) {
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &Silent{e: e}, nil
}

// Acquire returns a cached access token for the request when one is usable, else
// refreshes. Concurrent calls that need the same refresh share one provider request
// (in-process single flight; across processes the store's refresh lock). A usable token
// whose refresh_on has passed is refreshed, but returned as is if that refresh fails.
// With no refresh token it returns domain.ErrNoTokens.
func (s *Silent) Acquire(ctx context.Context, req SilentRequest) (domain.AuthResult, error) {
	scopes, err := domain.RequestScopes(req.Scopes)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if req.Account.HomeAccountID == "" {
		return domain.AuthResult{}, domain.Errorf(domain.ErrInvalidInput, "silent: an account is required")
	}
	authority := s.e.authority(req.Authority)
	found, err := s.find(ctx, authority, req.Account)
	if err != nil {
		return domain.AuthResult{}, err
	}
	useCache := !req.ForceRefresh && req.Claims == ""
	var cached *domain.AuthResult
	if useCache {
		if res, ok := s.cacheHit(found, authority, req.Account, scopes); ok {
			if !res.refreshDue {
				return res.result, nil
			}
			cached = &res.result
		}
	}
	res, err := s.refreshShared(ctx, req, authority, scopes, useCache)
	if err != nil && cached != nil {
		s.e.log.WarnContext(ctx, "proactive refresh failed; serving the cached token", "error", err)
		return *cached, nil
	}
	return res, err
}

func (s *Silent) find(ctx context.Context, authority domain.Authority, acct domain.Account) (domain.CacheEntries, error) {
	found, err := s.e.store.Find(ctx, domain.CacheQuery{
		Partition: s.e.cfg.Partition, HomeAccountID: acct.HomeAccountID,
		Environments: authority.Environments(), ClientID: s.e.cfg.ClientID,
	})
	return found, storeErr("silent: read cache", err)
}

type hit struct {
	result     domain.AuthResult
	refreshDue bool
}

// cacheHit finds the usable access token that covers scopes and expires last.
func (s *Silent) cacheHit(found domain.CacheEntries, authority domain.Authority, acct domain.Account, scopes []string) (hit, bool) {
	now := s.e.clock.Now()
	realms := realmsFor(authority, acct)
	var best *domain.AccessToken
	for i := range found.AccessTokens {
		at := &found.AccessTokens[i]
		if at.ClientID != s.e.cfg.ClientID || !slices.Contains(realms, at.Realm) ||
			!strings.EqualFold(at.TokenType, "Bearer") || !at.Usable(now, s.e.cfg.ExpiryBuffer) ||
			!s.e.matcher.Contains(at.Scopes(), scopes) {
			continue
		}
		if best == nil || at.ExpiresOn.After(best.ExpiresOn) {
			best = at
		}
	}
	if best == nil {
		return hit{}, false
	}
	res := domain.AuthResult{
		AccessToken: best.Secret, TokenType: best.TokenType, ExpiresOn: best.ExpiresOn,
		RefreshOn: best.RefreshOn, Scopes: best.Scopes(), Account: accountOf(found, acct, best.Realm),
		TokenSource: domain.SourceCache,
	}
	if idt := idTokenOf(found, s.e.cfg.ClientID, best.Realm); idt != nil {
		res.IDToken = idt.Secret
		if _, c, err := domain.ParseIDToken(string(idt.Secret)); err == nil {
			res.IDTokenClaims = &c
		}
	}
	return hit{result: res, refreshDue: best.RefreshDue(now)}, true
}

// realmsFor lists the realms a cached token may have for this authority and account:
// the authority's tenant when it names one, and the account's realm.
func realmsFor(authority domain.Authority, acct domain.Account) []string {
	realms := []string{acct.Realm}
	if r := authority.Realm(); r != "" && !strings.EqualFold(r, acct.Realm) {
		realms = append(realms, r)
	}
	return realms
}

// accountOf returns the cached account record for realm, else the one passed in.
func accountOf(found domain.CacheEntries, acct domain.Account, realm string) domain.Account {
	for _, a := range found.Accounts {
		if a.Realm == realm {
			return a
		}
	}
	return acct
}

func idTokenOf(found domain.CacheEntries, clientID, realm string) *domain.IDToken {
	for i, t := range found.IDTokens {
		if t.ClientID == clientID && t.Realm == realm {
			return &found.IDTokens[i]
		}
	}
	return nil
}
