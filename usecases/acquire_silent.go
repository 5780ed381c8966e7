package usecases

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
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
	e *engine
	// flight is shared by every partition of the flow (the key names the partition).
	flight *singleflight.Group
	// refused remembers refused refresh tokens; shared by every partition like flight.
	refused *refusals
	// deferred remembers failed proactive refreshes; shared like flight.
	deferred *deferredRefreshes
}

// NewSilent returns the silent flow.
func NewSilent(cfg Config, deps Deps) (*Silent, error) {
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &Silent{e: e, flight: new(singleflight.Group), refused: new(refusals), deferred: new(deferredRefreshes)}, nil
}

// Acquire returns a cached access token for the request when one is usable, else
// refreshes. Concurrent calls that need the same refresh share one provider request
// (in-process single flight; across processes the store's refresh lock). A usable token
// whose refresh_on has passed is refreshed, but returned as is if that refresh fails.
// With no refresh token it returns domain.ErrNoTokens.
//
// The request is checked before any store or provider call (ErrInvalidInput); a
// context that ends is ErrUnavailable, or ErrCacheStore inside a store call (inputs.go).
func (s *Silent) Acquire(ctx context.Context, req SilentRequest) (domain.AuthResult, error) {
	if s.e.obs == nil { // the hot path, called directly
		return s.acquireChecked(ctx, req)
	}
	return s.e.observe(ctx, ports.FlowSilent, req.Authority, func(ctx context.Context) (domain.AuthResult, error) {
		return s.acquireChecked(ctx, req)
	})
}

func (s *Silent) acquireChecked(ctx context.Context, req SilentRequest) (domain.AuthResult, error) {
	scopes, err := domain.UserFlowScopes(req.Scopes)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if req.Account.HomeAccountID == "" {
		return domain.AuthResult{}, domain.Errorf(domain.ErrInvalidInput, "silent: an account is required")
	}
	if err := firstErr(s.e.checkOptional(req.Claims, req.CorrelationID), checkContext(ctx, "silent")); err != nil {
		return domain.AuthResult{}, err
	}
	var res domain.AuthResult
	if len(scopes) == 0 { // a sign-in for an ID token only (silent_id_token.go)
		res, err = s.acquireIDToken(ctx, req)
	} else {
		res, err = s.acquire(ctx, req, scopes)
	}
	return res, classifyDone("silent", err)
}

func (s *Silent) acquire(ctx context.Context, req SilentRequest, scopes []string) (domain.AuthResult, error) {
	authority := s.e.authority(req.Authority)
	useCache := !req.ForceRefresh && req.Claims == ""
	var cached *domain.AuthResult
	if useCache {
		s.e.learnTenantIDFromMetadata(ctx, authority)
		if hr, ok := s.e.store.(ports.HitReader); ok {
			// The hot path: the store reads only this client's access and ID tokens and
			// the account. A miss, or a hit due for refresh, reads everything below.
			found, err := hr.FindHit(ctx, s.query(authority, req.Account))
			if err != nil {
				return domain.AuthResult{}, storeErr("silent: read cache", err)
			}
			found = ofAccount(found, authority, req.Account.HomeAccountID)
			if res, ok := s.cacheHit(ctx, found, authority, req.Account, scopes); ok && !res.refreshDue {
				s.e.cacheLookedUp(ctx, ports.FlowSilent, true)
				return res.result, nil
			}
		}
	}
	found, err := s.find(ctx, authority, req.Account)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if useCache {
		res, ok := s.cacheHit(ctx, found, authority, req.Account, scopes)
		s.e.cacheLookedUp(ctx, ports.FlowSilent, ok && !res.refreshDue)
		if ok {
			if !res.refreshDue {
				return res.result, nil
			}
			cached = &res.result
		}
	}
	refresh := s.refreshOf(req, authority, scopes, useCache, found)
	if cached != nil {
		if until, ok := s.deferred.recall(deferralKey(refresh.key), s.e.clock.Now()); ok {
			cached.RefreshOn = until // a proactive refresh failed a moment ago (deferredRefreshes)
			return *cached, nil
		}
	}
	res, err := s.refreshShared(ctx, req, authority, scopes, useCache, refresh)
	// Tokens that came back with an error could not be cached: the refresh token they
	// carry may have replaced the cached one, so they are returned, not the cached token.
	if err != nil && cached != nil && res.AccessToken == "" {
		now := s.e.clock.Now()
		wait := proactiveRetryWait(err)
		s.deferred.remember(deferralKey(refresh.key), now, now.Add(wait), now.Add(wait))
		s.e.log.WarnContext(ctx, "proactive refresh failed; serving the cached token", "retry_in", wait, domain.ErrorAttr(err))
		cached.RefreshOn = now.Add(wait)
		return *cached, nil
	}
	return res, err
}

func (s *Silent) find(ctx context.Context, authority domain.Authority, acct domain.Account) (domain.CacheEntries, error) {
	found, err := s.e.store.Find(ctx, s.query(authority, acct))
	return ofAccount(found, authority, acct.HomeAccountID), storeErr("silent: read cache", err)
}

// ofAccount keeps the entries of found whose home account id is home as the authority
// compares them (domain.Authority.SameHomeAccountID). Stores match home account ids by
// their shape (domain.FoldHomeAccountID: an Entra-shaped uid.utid in any case), which is
// right for Microsoft's authorities and too loose for an OIDC issuer, whose sub is
// case-sensitive whatever it looks like (DESIGN §3): there, a subject spelled like a
// uid.utid in another case is another person, and this filter drops that person's
// entries before any path (hit, refresh candidates, refresh identity, sign-in) sees them.
// It allocates only when it drops something.
func ofAccount(found domain.CacheEntries, authority domain.Authority, home string) domain.CacheEntries {
	if !authority.IsIssuerRealm() || home == "" {
		return found
	}
	other := func(id string) bool { return id != home }
	found.AccessTokens = dropIf(found.AccessTokens, func(t domain.AccessToken) bool { return other(t.HomeAccountID) })
	found.RefreshTokens = dropIf(found.RefreshTokens, func(t domain.RefreshToken) bool { return other(t.HomeAccountID) })
	found.IDTokens = dropIf(found.IDTokens, func(t domain.IDToken) bool { return other(t.HomeAccountID) })
	found.Accounts = dropIf(found.Accounts, func(a domain.Account) bool { return other(a.HomeAccountID) })
	return found
}

// dropIf returns s without the elements drop reports, in a new slice when it drops any
// (s may be the store's own), else s itself.
func dropIf[T any](s []T, drop func(T) bool) []T {
	if !slices.ContainsFunc(s, drop) {
		return s
	}
	return slices.DeleteFunc(slices.Clone(s), drop)
}

// query is the cache query of a silent call: the account in the partition, on the
// authority's host and its aliases, for this client.
func (s *Silent) query(authority domain.Authority, acct domain.Account) domain.CacheQuery {
	return domain.CacheQuery{
		Partition: s.e.cfg.Partition, HomeAccountID: acct.HomeAccountID,
		Environments: s.e.environments(authority), ClientID: s.e.cfg.ClientID,
	}
}

type hit struct {
	result     domain.AuthResult
	refreshDue bool
}

// cacheHit finds the usable access token that covers scopes and expires last. A token
// the cache must not serve (domain.AccessToken.Servable) is skipped and logged by key.
func (s *Silent) cacheHit(ctx context.Context, found domain.CacheEntries, authority domain.Authority, acct domain.Account, scopes []string) (hit, bool) {
	now := s.e.clock.Now()
	var buf [2]string // realmsFor's answer fits here unless the account has many realms
	realms := s.e.realmsFor(authority, acct, found, buf[:0])
	var best *domain.AccessToken
	for i := range found.AccessTokens {
		at := &found.AccessTokens[i]
		if at.ClientID != s.e.cfg.ClientID || !sameRealmIn(authority, realms, at.Realm) ||
			!isBearer(at.TokenType) || !at.Usable(now, s.e.cfg.ExpiryBuffer) ||
			!s.e.matcher.TargetContains(at.Target, scopes) {
			continue
		}
		if why := at.Servable(now, s.e.cfg.ClockSkew); why != "" {
			s.e.log.WarnContext(ctx, "cached access token not served", "key", at.Key(), "reason", why)
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
		RefreshOn: best.RefreshOn, Scopes: best.Scopes(), Account: accountOf(found, authority, acct, best.Realm),
		TokenSource: domain.SourceCache,
	}
	// The access token is served whatever the ID tokens beside it hold: a row that
	// fails servableIDToken is treated as absent, as when no ID token is cached (a
	// refresh answered without one), never as a miss — a bad row that no refresh
	// replaces would otherwise make every call a refresh.
	iss := issuerOf{authority: authority}
	for i := range found.IDTokens {
		t := &found.IDTokens[i]
		if !authority.SameRealm(t.Realm, best.Realm) {
			continue
		}
		if c, ok := s.e.servableIDToken(ctx, &iss, found, acct, t); ok {
			res.IDToken, res.IDTokenClaims = t.Secret, c
			break
		}
	}
	return hit{result: res, refreshDue: best.RefreshDue(now)}, true
}

// isBearer reports whether a token type is Bearer, in any case (RFC 6750 §4 is
// case-insensitive); the exact spelling first, as a hit checks every cached token.
func isBearer(tokenType string) bool {
	return tokenType == "Bearer" || strings.EqualFold(tokenType, "Bearer")
}

// realmsFor lists the realms a cached token may have for this authority and account.
// An OIDC issuer accepts only its own realm (its path: two issuers on one host are two
// worlds). An authority naming a tenant accepts only that tenant's tokens (a guest
// account's home-tenant token is no good for another tenant); a tenant named by domain
// also accepts the tenant id learned from an earlier response. An organisation alias
// (common, organizations, consumers) accepts the account's realm, or, for an account
// known only by its home account id, its home tenant or any realm it is cached under.
//
// The realms are appended to dst (nil will do), which the caller may pass with room to
// spare so that a cache hit does not allocate.
func (e *engine) realmsFor(authority domain.Authority, acct domain.Account, found domain.CacheEntries, dst []string) []string {
	if authority.IsIssuerRealm() {
		return append(dst, authority.Realm())
	}
	if r := authority.Realm(); r != "" {
		if tid, ok := e.tenantIDs.load(tenantKey(authority)); ok {
			return append(dst, r, tid)
		}
		return append(dst, r)
	}
	if acct.Realm != "" {
		return append(dst, acct.Realm)
	}
	if authority.Kind == domain.AuthorityEntra || authority.Kind == domain.AuthorityB2C {
		// An Entra home account id is "uid.utid": utid is the home tenant.
		if _, utid, ok := strings.Cut(acct.HomeAccountID, "."); ok && utid != "" {
			return append(dst, utid)
		}
	}
	for _, a := range found.Accounts {
		dst = append(dst, a.Realm)
	}
	return dst
}

// learnTenantID remembers which tenant id an authority naming its tenant by domain
// (contoso.onmicrosoft.com) stands for, as its ID tokens' tid claim says: tokens are
// cached under the tenant id, and the next silent call must find them.
func (e *engine) learnTenantID(authority domain.Authority, claims *domain.IDTokenClaims) {
	r := authority.Realm()
	if r == "" || authority.IsIssuerRealm() || claims == nil || claims.TenantID == "" || strings.EqualFold(r, claims.TenantID) {
		return
	}
	e.tenantIDs.store(tenantKey(authority), claims.TenantID)
}

// tenantIDs is the map learnTenantID fills, bounded: past maxTenantIDs entries it starts
// over, which costs each forgotten tenant one refresh, never a wrong token.
type tenantIDs struct {
	mu  sync.RWMutex
	ids map[string]string
}

const maxTenantIDs = 10_000

func (t *tenantIDs) load(key string) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	id, ok := t.ids[key]
	return id, ok
}

func (t *tenantIDs) store(key, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.ids[key]; !ok && len(t.ids) >= maxTenantIDs {
		clear(t.ids)
	}
	t.ids[key] = id
}

// learnTenantIDFromMetadata learns the tenant id behind an Entra or B2C authority that
// names its tenant by domain from the tenant's discovery document, whose issuer is
// https://{host}/{tenant id}/v2.0, so that a new process finds the tokens cached under
// that id without a refresh. The metadata is the provider adapter's cached copy after the
// first call. A failure only means the cache is not searched under the id.
func (e *engine) learnTenantIDFromMetadata(ctx context.Context, authority domain.Authority) {
	r := authority.Realm()
	if r == "" || domain.IsGUID(r) || (authority.Kind != domain.AuthorityEntra && authority.Kind != domain.AuthorityB2C) {
		return
	}
	key := tenantKey(authority)
	if _, ok := e.tenantIDs.load(key); ok {
		return
	}
	meta, err := e.idp.Metadata(ctx, authority)
	if err != nil {
		e.log.DebugContext(ctx, "tenant id of a domain-named authority not learned", "authority", authority.URL, domain.ErrorAttr(err))
		return
	}
	_, rest, _ := strings.Cut(meta.Issuer, "://")
	_, path, _ := strings.Cut(rest, "/")
	if tid, _, _ := strings.Cut(path, "/"); domain.IsGUID(tid) {
		e.tenantIDs.store(key, tid)
	}
}

func tenantKey(a domain.Authority) string {
	return strings.ToLower(a.Host + "/" + a.Realm())
}

// sameRealmIn reports whether realm is one of realms, as the authority compares realms.
func sameRealmIn(authority domain.Authority, realms []string, realm string) bool {
	return slices.ContainsFunc(realms, func(x string) bool { return authority.SameRealm(x, realm) })
}

// accountOf returns the cached account record for realm, else the one passed in.
func accountOf(found domain.CacheEntries, authority domain.Authority, acct domain.Account, realm string) domain.Account {
	for _, a := range found.Accounts {
		if authority.SameRealm(a.Realm, realm) {
			return a
		}
	}
	return acct
}
