package usecases

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// refreshShared makes identical concurrent refreshes in this process share one. The
// flight key names the refresh token that will be redeemed (its lock key: never the
// authority URL, as organizations and a tenant's own URL reach the same refresh token)
// and everything else that changes the result: the realms a token may be served for,
// the scopes, the claims and whether the cache may answer.
func (s *Silent) refreshShared(ctx context.Context, req SilentRequest, authority domain.Authority, scopes []string, useCache bool, r silentRefresh) (domain.AuthResult, error) {
	return shared(ctx, s.flight, r.key, flight{op: "silent", flow: ports.FlowSilent, e: s.e}, func(ctx context.Context) (domain.AuthResult, error) {
		return s.refreshLocked(ctx, req, authority, scopes, useCache, r.lock)
	})
}

// silentRefresh names a silent refresh: the store's lock it takes and its single-flight
// key.
type silentRefresh struct {
	lock domain.RefreshLockKey
	key  string
}

// refreshOf names the refresh a silent request needs, found being what the cache holds
// for the account.
func (s *Silent) refreshOf(req SilentRequest, authority domain.Authority, scopes []string, useCache bool, found domain.CacheEntries) silentRefresh {
	target := domain.JoinScopes(scopes)
	if s.e.matcher.CaseInsensitive {
		target = strings.ToLower(target)
	}
	lock := s.e.refreshLockKey(authority, req.Account)
	key := s.e.flightKey(authority, lock, s.e.realmsFor(authority, req.Account, found, nil), target, req.Claims, strconv.FormatBool(useCache))
	return silentRefresh{lock: lock, key: key}
}

// flightKey is the single-flight key of a silent refresh under lock: the lock's fields
// (the partition, the home account id as the authority compares it — exactly for an
// OIDC issuer —, the canonical environment and the issuer realm), the realms a token
// may be served for, then what else changes the result. Each field is length-prefixed
// (domain.JoinKey), never separated by a byte: a partition, a home account id and a
// realm read from a cache row are text a caller or a row chooses, and a separator they
// contain would let one partition's or one person's call join another's flight and be
// handed its tokens (DESIGN §2: nothing in one partition is visible from another).
//
// lock.String() is not used here: it names the store's lock, which processes of two
// versions must keep agreeing on, and a collision there only makes two refreshes take
// turns.
func (e *engine) flightKey(authority domain.Authority, lock domain.RefreshLockKey, realms []string, rest ...string) string {
	realms = slices.Clone(realms)
	slices.Sort(realms)
	fields := make([]string, 0, 5+len(realms)+len(rest))
	fields = append(fields, lock.Partition, authority.FoldHomeAccountID(lock.HomeAccountID),
		domain.CanonicalEnvironment(lock.Environment), lock.Realm, strconv.Itoa(len(realms)))
	fields = append(fields, realms...)
	return domain.JoinKey(append(fields, rest...)...)
}

// refreshLockKey names the refresh lock of a refresh of acct through authority: one lock
// per account, canonical environment and issuer realm (DESIGN §3 keys it by the refresh
// token; this is coarser on purpose), whatever authority URL the call names and
// whichever of the account's refresh tokens — the app's own or a family's — it ends up
// redeeming. The token redeemed is chosen only under the lock, from a fresh read, so a
// lock per token would be named before it is known; and RemoveAccount takes this one
// lock, never several at once (which on Postgres could exhaust the lock pool).
func (e *engine) refreshLockKey(authority domain.Authority, acct domain.Account) domain.RefreshLockKey {
	return domain.RefreshLockKey{
		Partition: e.cfg.Partition, HomeAccountID: acct.HomeAccountID, Environment: authority.Host,
		Realm: authority.RefreshTokenRealm(),
	}
}

// refreshLocked takes the store's refresh lock, reads the cache again (another process
// may have refreshed meanwhile) and redeems a refresh token only if still needed.
func (s *Silent) refreshLocked(ctx context.Context, req SilentRequest, authority domain.Authority, scopes []string, useCache bool, lock domain.RefreshLockKey) (domain.AuthResult, error) {
	var res domain.AuthResult
	var fnErr error
	err := s.e.withRefreshLock(ctx, ports.FlowSilent, lock, func(ctx context.Context) error {
		found, err := s.find(ctx, authority, req.Account)
		if err != nil {
			fnErr = err
			return err
		}
		if useCache {
			if h, ok := s.cacheHit(ctx, found, authority, req.Account, scopes); ok && !h.refreshDue {
				res = h.result
				return nil
			}
		}
		res, fnErr = s.redeemCached(ctx, req, authority, scopes, found)
		return fnErr
	})
	if err != nil {
		return withTokens(res, lockErr("silent: refresh lock", err, fnErr))
	}
	return res, nil
}

// redeemCached redeems the family refresh token first when the app is in a family or
// not known not to be, then the app's own; invalid_grant on the family token falls back
// to the app's. A refused refresh token is kept in the cache (another process may have
// just rotated it) but remembered, and skipped while remembered (refusals).
func (s *Silent) redeemCached(ctx context.Context, req SilentRequest, authority domain.Authority, scopes []string, found domain.CacheEntries) (domain.AuthResult, error) {
	candidates := refreshCandidates(found, authority, s.e.cfg.ClientID)
	if len(candidates) == 0 {
		return domain.AuthResult{}, &domain.Error{Class: domain.ErrNoTokens, Op: "silent", Description: "no refresh token is cached for this account and client"}
	}
	acct, prev := s.refreshIdentity(ctx, authority, req.Account, found)
	correlationID := s.e.correlationID(req.CorrelationID)
	request := domain.JoinKey(authority.CanonicalURL(), domain.JoinScopes(scopes), req.Claims)
	var err error
	for i, rt := range candidates {
		family := rt.FamilyID != "" && rt.ClientID != s.e.cfg.ClientID
		key := refusalKey(s.e.cfg.Partition, rt.Secret, request)
		if r, ok := s.refused.refused(key, s.e.clock.Now()); ok {
			s.e.log.InfoContext(ctx, "refresh token refused earlier; not presented again", "family", family, "correlation_id", correlationID)
			if err == nil { // a refusal the provider sent during this call says more
				err = r.asError(correlationID)
			}
			continue
		}
		var res domain.AuthResult
		res, err = s.e.redeem(ctx, redemption{
			op:        "silent",
			req:       domain.TokenRequest{Grant: domain.GrantRefreshToken, RefreshToken: rt.Secret, Claims: req.Claims, CorrelationID: correlationID},
			authority: authority, scopes: scopes, account: &acct, prev: prev, presented: &rt,
		})
		s.e.refreshed(ctx, ports.FlowSilent, err)
		if err == nil || res.AccessToken != "" {
			// Redeemed: tokens that could not be checked or kept come back with the error.
			return res, err
		}
		var de *domain.Error
		if domain.RefreshTokenRefused(err) && errors.As(err, &de) {
			s.refused.remember(key, s.e.clock.Now(), de)
			s.e.log.InfoContext(ctx, "refresh token refused; not presented again for a while", "family", family, "window", refusalWindow, "correlation_id", correlationID)
		}
		// Only invalid_grant moves on (DESIGN §3: family → the app's own); from the app's
		// own token to its token of an alias host (which an import may have left beside
		// the live one) only a refused token does: a refusal another token cannot cure
		// (Entra's invalid_grant for MFA or consent, a claims challenge) is the answer.
		if i == len(candidates)-1 || !errors.Is(err, domain.ErrInvalidGrant) || (!family && !domain.RefreshTokenRefused(err)) {
			break
		}
		if family {
			s.e.log.InfoContext(ctx, "family refresh token refused; falling back to the app's own", "correlation_id", correlationID)
		} else {
			s.e.log.InfoContext(ctx, "refresh token refused; trying the app's token of an alias host", "correlation_id", correlationID)
		}
	}
	return domain.AuthResult{}, err
}

// refreshCandidates orders the refresh tokens to try: a family token (when the app's
// metadata does not say it is outside every family), then the app's own, newest first.
// Only refresh tokens of the authority's issuer realm (DESIGN §3: an OIDC issuer's path;
// every Entra refresh token has none) with a secret are candidates: a refresh token is
// only ever sent to the issuer that issued it, and an empty one is no refresh token.
//
// The app can hold several of its own under alias hosts of one cloud (an imported MSAL
// .NET cache beside hexauth's tokens): the newest goes first, never the copy rotated
// away, and the others follow it, each tried only after an invalid_grant, so a stale
// token dated newer by mistake costs one refused request, never a sign-in.
func refreshCandidates(found domain.CacheEntries, authority domain.Authority, clientID string) []domain.RefreshToken {
	knownFamily := appFamily(found.AppMetadata, clientID)
	knownOutside := knownFamily == ""
	if knownFamily == domain.AnyFamily {
		knownFamily = ""
	}
	var own []domain.RefreshToken
	var family *domain.RefreshToken
	realm := authority.RefreshTokenRealm()
	for i := range found.RefreshTokens {
		rt := &found.RefreshTokens[i]
		if rt.Secret == "" || rt.Realm != realm {
			continue
		}
		if rt.ClientID == clientID {
			own = append(own, *rt)
			continue
		}
		if rt.FamilyID == "" || (knownFamily != "" && rt.FamilyID != knownFamily) {
			continue
		}
		if family == nil || rt.CachedAt.After(family.CachedAt) {
			family = rt
		}
	}
	// Newest first; ties by identity fields (two tokens may share a key), so the order
	// does not depend on the store's.
	slices.SortStableFunc(own, func(a, b domain.RefreshToken) int {
		if c := b.CachedAt.Compare(a.CachedAt); c != 0 {
			return c
		}
		fa, fb := a.KeyFields(), b.KeyFields()
		return slices.Compare(fa[:], fb[:])
	})
	var out []domain.RefreshToken
	if family != nil && !knownOutside {
		out = append(out, *family)
	}
	for _, rt := range own {
		if !slices.ContainsFunc(out, func(o domain.RefreshToken) bool { return o.Secret == rt.Secret }) {
			out = append(out, rt)
		}
	}
	// A token some cached refresh token records as replaced by rotation is spent
	// (domain.SpentMember): a rotation under one alias host leaves the twin it redeemed
	// under another, and presenting that twin after the live one's invalid_grant can make
	// a provider with reuse detection revoke the family (RFC 9700 §4.14.2).
	spent := map[string]bool{}
	for _, t := range found.RefreshTokens {
		for _, fp := range t.Spent() { // each record decoded once, not once per candidate
			spent[fp] = true
		}
	}
	if len(spent) == 0 {
		return out
	}
	return slices.DeleteFunc(out, func(c domain.RefreshToken) bool { return spent[domain.RefreshFingerprint(c.Secret)] })
}

// appFamily is the family of client ids clientID belongs to, as its app metadata says:
// the family id, "" when the metadata says it is in no family, domain.AnyFamily when no
// metadata says (none cached, or records under alias hosts that disagree). It is the one
// rule for which family refresh tokens the app redeems (refreshCandidates), lists
// accounts by (Accounts.List) and removes on sign-out (Accounts.Remove), so that a
// sign-out removes every token silent could redeem. Client ids compare
// case-insensitively, as the stores compare them.
func appFamily(metadata []domain.AppMetadata, clientID string) string {
	family, known := "", false
	for _, m := range metadata {
		if !strings.EqualFold(m.ClientID, clientID) {
			continue
		}
		if known && !strings.EqualFold(m.FamilyID, family) {
			return domain.AnyFamily
		}
		family, known = m.FamilyID, true
	}
	if !known {
		return domain.AnyFamily
	}
	return family
}
