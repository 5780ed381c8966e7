package usecases

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// acquireIDToken is silent acquisition for a sign-in without API scopes (DESIGN §3
// "Scopes"): the account's cached ID token of this client — in a realm the authority
// accepts, on its host or an alias (docs/adr/0006) — while it is valid beyond the expiry
// buffer (its exp), else a refresh with the reserved scopes alone, whose ID token is
// returned. A refresh answered without an ID token is ErrInteractionRequired: an older,
// expiring ID token is never returned in its place.
func (s *Silent) acquireIDToken(ctx context.Context, req SilentRequest) (domain.AuthResult, error) {
	authority := s.e.authority(req.Authority)
	useCache := !req.ForceRefresh && req.Claims == ""
	if useCache {
		s.e.learnTenantIDFromMetadata(ctx, authority)
	}
	found, err := s.find(ctx, authority, req.Account)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if useCache {
		res, ok := s.idTokenHit(ctx, found, authority, req.Account)
		s.e.cacheLookedUp(ctx, ports.FlowSilent, ok)
		if ok {
			return res, nil
		}
	}
	lock := s.e.refreshLockKey(authority, req.Account)
	realms := slices.Clone(s.e.realmsFor(authority, req.Account, found, nil))
	slices.Sort(realms)
	// Its own flight: the result is an ID token, not the access token a scoped call
	// with the same refresh token waits for.
	key := strings.Join([]string{lock.String(), strings.Join(realms, "\x1e"), "\x00id_token", req.Claims, strconv.FormatBool(useCache)}, "\x1f")
	return shared(ctx, s.flight, key, flight{op: "silent", flow: ports.FlowSilent, e: s.e}, func(ctx context.Context) (domain.AuthResult, error) {
		var res domain.AuthResult
		var fnErr error
		err := s.e.withRefreshLock(ctx, ports.FlowSilent, lock, func(ctx context.Context) error {
			found, err := s.find(ctx, authority, req.Account)
			if err != nil {
				fnErr = err
				return err
			}
			if useCache { // another process may have refreshed while this one waited
				if h, ok := s.idTokenHit(ctx, found, authority, req.Account); ok {
					res = h
					return nil
				}
			}
			res, fnErr = s.redeemCached(ctx, req, authority, []string{}, found)
			return fnErr
		})
		if err != nil {
			return withTokens(res, lockErr("silent: refresh lock", err, fnErr))
		}
		return res, nil
	})
}

// idTokenHit returns the cached ID token of this client for the account, in a realm
// the authority accepts, that is valid beyond the expiry buffer; with several, the one
// that expires last. Its claims must name this client as an audience: a cache row is
// not trusted to be the token this client was issued.
func (s *Silent) idTokenHit(ctx context.Context, found domain.CacheEntries, authority domain.Authority, acct domain.Account) (domain.AuthResult, bool) {
	now := s.e.clock.Now()
	realms := s.e.realmsFor(authority, acct, found, nil)
	var best *domain.IDToken
	var bestClaims *domain.IDTokenClaims
	var issuer string // fetched once, only when a candidate needs it
	haveIssuer := false
	for i := range found.IDTokens {
		t := &found.IDTokens[i]
		if t.ClientID != s.e.cfg.ClientID || t.Secret == "" || !sameRealmIn(authority, realms, t.Realm) {
			continue
		}
		c, ok := s.e.claims.claims(string(t.Secret))
		if !ok || !now.Before(c.Expiry.Add(-s.e.cfg.ExpiryBuffer)) || c.CheckAudience(s.e.cfg.ClientID) != nil {
			continue
		}
		// The row is not trusted to hold the token issued to this account: it must be
		// the provider's (iss) and about the account it is filed under (sub, or Entra's
		// oid and tid), else it is a miss and the refresh answers — never another person.
		if !c.BelongsTo(acct.HomeAccountID, localAccountIDIn(found, authority, t.Realm)) {
			s.e.log.WarnContext(ctx, "cached ID token is not about the account; not served", "key", t.Key())
			continue
		}
		if !haveIssuer {
			meta, err := s.e.idp.Metadata(ctx, authority)
			if err != nil {
				return domain.AuthResult{}, false
			}
			issuer, haveIssuer = meta.Issuer, true
		}
		if c.CheckIssuer(issuer) != nil {
			s.e.log.WarnContext(ctx, "cached ID token is not from the authority's issuer; not served", "key", t.Key())
			continue
		}
		if bestClaims == nil || c.Expiry.After(bestClaims.Expiry) {
			best, bestClaims = t, c
		}
	}
	if best == nil {
		return domain.AuthResult{}, false
	}
	s.e.log.DebugContext(ctx, "ID token served from the cache", "key", best.Key())
	return domain.AuthResult{
		IDToken: best.Secret, IDTokenClaims: bestClaims, ExpiresOn: bestClaims.Expiry,
		Account: accountOf(found, authority, acct, best.Realm), TokenSource: domain.SourceCache, For: domain.ForIDToken,
	}, true
}

// localAccountIDIn returns the local account id (Entra's object id in that tenant) of the
// cached account entry in realm, or "".
func localAccountIDIn(found domain.CacheEntries, authority domain.Authority, realm string) string {
	for _, a := range found.Accounts {
		if authority.SameRealm(a.Realm, realm) {
			return a.LocalAccountID
		}
	}
	return ""
}
