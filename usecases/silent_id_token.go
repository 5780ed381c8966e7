package usecases

import (
	"context"
	"errors"
	"strconv"

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
	// Its own flight: the result is an ID token, not the access token a scoped call
	// with the same refresh token waits for (a target never contains "\x00").
	key := s.e.flightKey(authority, lock, s.e.realmsFor(authority, req.Account, found, nil), "\x00id_token", req.Claims, strconv.FormatBool(useCache))
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
// the authority accepts, that the cache may serve (servableIDToken) and that is valid
// beyond the expiry buffer; with several, the one that expires last.
func (s *Silent) idTokenHit(ctx context.Context, found domain.CacheEntries, authority domain.Authority, acct domain.Account) (domain.AuthResult, bool) {
	now := s.e.clock.Now()
	realms := s.e.realmsFor(authority, acct, found, nil)
	iss := issuerOf{authority: authority}
	var best *domain.IDToken
	var bestClaims *domain.IDTokenClaims
	for i := range found.IDTokens {
		t := &found.IDTokens[i]
		if !sameRealmIn(authority, realms, t.Realm) {
			continue
		}
		c, ok := s.e.servableIDToken(ctx, &iss, found, acct, t)
		if !ok || !now.Before(c.Expiry.Add(-s.e.cfg.ExpiryBuffer)) {
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

// servableIDToken returns the claims of the cached ID token t when they may be handed
// out as acct's — beside a cached access token, as a sign-in, or as the identity a
// refresh response must continue — and false, logged by key, when not. A cache row is
// not trusted to hold the token this client was issued for this account (a tampered or
// mis-filed row, an imported document): t must be this client's, with a secret; its
// claims must name this client as an audience (aud, azp), be about the account it is
// filed under (sub, or Entra's oid and tid; compared as the authority compares home
// account ids), come from the authority's issuer, and have a lifetime a provider could
// have issued (domain.IDTokenClaims.Servable: a hit never verifies the signature).
// Which realm t may have is the caller's rule; expiry too (an expired ID token still
// says who the user is beside a valid access token).
//
// Every path that serves a cached ID token goes through here, so that none of them
// applies less than the others.
func (e *engine) servableIDToken(ctx context.Context, iss *issuerOf, found domain.CacheEntries, acct domain.Account, t *domain.IDToken) (*domain.IDTokenClaims, bool) {
	if t.ClientID != e.cfg.ClientID || t.Secret == "" {
		return nil, false
	}
	c, entry, ok := e.claims.claims(string(t.Secret))
	if !ok {
		e.log.WarnContext(ctx, "cached ID token not served", "key", t.Key(), "reason", "unreadable, or not issued to this client")
		return nil, false
	}
	authority := iss.authority
	local := localAccountIDIn(found, authority, t.Realm)
	// The token is the cache entry's key and immutable, so a row found servable before
	// for the same client, account, local account id and kind of authority needs its
	// audience and subject checked no more; the issuer is compared below, the lifetime
	// checked on every hit (the clock moves).
	last := entry.lastServed()
	same := last != nil && last.clientID == e.cfg.ClientID && last.issuerRealm == authority.IsIssuerRealm() &&
		last.homeAccountID == acct.HomeAccountID && last.localAccountID == local
	if !same {
		if c.CheckAudience(e.cfg.ClientID) != nil {
			e.log.WarnContext(ctx, "cached ID token not served", "key", t.Key(), "reason", "unreadable, or not issued to this client")
			return nil, false
		}
		if !authority.IDTokenIsAbout(*c, acct.HomeAccountID, local) {
			e.log.WarnContext(ctx, "cached ID token not served", "key", t.Key(), "reason", "not about the account it is filed under")
			return nil, false
		}
	}
	if why := c.Servable(e.clock.Now(), e.cfg.ClockSkew); why != "" {
		e.log.WarnContext(ctx, "cached ID token not served", "key", t.Key(), "reason", why)
		return nil, false
	}
	want, ok := iss.get(ctx, e)
	if !ok {
		return nil, false
	}
	if !same || last.issuer != want {
		if c.CheckIssuer(want) != nil {
			e.log.WarnContext(ctx, "cached ID token not served", "key", t.Key(), "reason", "not from the authority's issuer")
			return nil, false
		}
		e.claims.remember(entry, servedFor{clientID: e.cfg.ClientID, issuerRealm: authority.IsIssuerRealm(),
			homeAccountID: acct.HomeAccountID, localAccountID: local, issuer: want})
	}
	return c, true
}

// issuerOf fetches the authority's issuer (the provider adapter's cached discovery
// document) at most once per call, and only when a cached ID token needs checking.
type issuerOf struct {
	authority     domain.Authority
	issuer        string
	fetched, fail bool
}

func (i *issuerOf) get(ctx context.Context, e *engine) (string, bool) {
	if !i.fetched {
		i.fetched = true
		meta, err := e.idp.Metadata(ctx, i.authority)
		if err == nil {
			i.issuer = meta.Issuer
		} else if iss, ok := i.authority.IssuerWithoutDiscovery(); ok && (errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrThrottled)) {
			// The issuer the document would name is known without it (an OIDC issuer's
			// URL; Entra's public cloud by tenant): a process that cannot reach the
			// provider (an outage, a restart during one) still serves the cached ID
			// token it would serve with the document, and no other. Only then: a
			// provider that answered (no such tenant, a refused document) or an
			// authority the adapter refuses has no issuer to stand in for.
			i.issuer = iss
		} else {
			e.log.DebugContext(ctx, "issuer unknown; no cached ID token served", "authority", i.authority.URL, domain.ErrorAttr(err))
			i.fail = true
		}
	}
	return i.issuer, !i.fail
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
