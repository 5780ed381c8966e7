package usecases

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// refreshShared makes identical concurrent refreshes in this process share one.
func (s *Silent) refreshShared(ctx context.Context, req SilentRequest, authority domain.Authority, scopes []string, useCache bool) (domain.AuthResult, error) {
	target := domain.JoinScopes(scopes)
	if s.e.matcher.CaseInsensitive {
		target = strings.ToLower(target)
	}
	key := strings.Join([]string{s.e.cfg.Partition, req.Account.HomeAccountID, authority.CanonicalURL(), target, req.Claims, strconv.FormatBool(useCache)}, "\x1f")
	return shared(ctx, s.flight, key, flight{op: "silent", log: s.e.log}, func(ctx context.Context) (domain.AuthResult, error) {
		return s.refreshLocked(ctx, req, authority, scopes, useCache)
	})
}

// refreshLocked takes the store's refresh lock, reads the cache again (another process
// may have refreshed meanwhile) and redeems a refresh token only if still needed.
func (s *Silent) refreshLocked(ctx context.Context, req SilentRequest, authority domain.Authority, scopes []string, useCache bool) (domain.AuthResult, error) {
	lock := domain.RefreshLockKey{
		Partition: s.e.cfg.Partition, HomeAccountID: req.Account.HomeAccountID,
		ClientID: s.e.cfg.ClientID, Authority: authority.CanonicalURL(),
	}
	var res domain.AuthResult
	err := s.e.store.WithRefreshLock(ctx, lock, func(ctx context.Context) error {
		found, err := s.find(ctx, authority, req.Account)
		if err != nil {
			return err
		}
		if useCache {
			if h, ok := s.cacheHit(found, authority, req.Account, scopes); ok && !h.refreshDue {
				res = h.result
				return nil
			}
		}
		res, err = s.redeemCached(ctx, req, authority, scopes, found)
		return err
	})
	if err != nil {
		return withTokens(res, storeErr("silent: refresh lock", err))
	}
	return res, nil
}

// redeemCached redeems the family refresh token first when the app is in a family or
// not known not to be, then the app's own; invalid_grant on the family token falls back
// to the app's. A refused refresh token is kept in the cache: another process may have
// just rotated it.
func (s *Silent) redeemCached(ctx context.Context, req SilentRequest, authority domain.Authority, scopes []string, found domain.CacheEntries) (domain.AuthResult, error) {
	candidates := refreshCandidates(found, s.e.cfg.ClientID)
	if len(candidates) == 0 {
		return domain.AuthResult{}, &domain.Error{Class: domain.ErrNoTokens, Op: "silent", Description: "no refresh token is cached for this account and client"}
	}
	acct := accountOf(found, req.Account, req.Account.Realm)
	var prev *domain.IDTokenClaims
	if idt := idTokenOf(found, s.e.cfg.ClientID, acct.Realm); idt != nil {
		if _, c, err := domain.ParseIDToken(string(idt.Secret)); err == nil {
			prev = &c
		}
	}
	correlationID := s.e.correlationID(req.CorrelationID)
	var err error
	for i, rt := range candidates {
		var res domain.AuthResult
		res, err = s.e.redeem(ctx, redemption{
			op:        "silent",
			req:       domain.TokenRequest{Grant: domain.GrantRefreshToken, RefreshToken: rt.Secret, Claims: req.Claims, CorrelationID: correlationID},
			authority: authority, scopes: scopes, account: &acct, prev: prev,
		})
		if err == nil || errors.Is(err, domain.ErrCacheStore) {
			return res, err // redeemed: tokens the store could not keep come back with the error
		}
		family := rt.FamilyID != "" && rt.ClientID != s.e.cfg.ClientID
		if !(family && i < len(candidates)-1 && errors.Is(err, domain.ErrInvalidGrant)) {
			break
		}
		s.e.log.InfoContext(ctx, "family refresh token refused; falling back to the app's own", "correlation_id", correlationID)
	}
	return domain.AuthResult{}, err
}

// refreshCandidates orders the refresh tokens to try: a family token (when the app's
// metadata does not say it is outside every family), then the app's own.
func refreshCandidates(found domain.CacheEntries, clientID string) []domain.RefreshToken {
	knownFamily, knownOutside := "", false
	for _, m := range found.AppMetadata {
		if m.ClientID == clientID {
			knownFamily, knownOutside = m.FamilyID, m.FamilyID == ""
		}
	}
	var own, family *domain.RefreshToken
	for i := range found.RefreshTokens {
		rt := &found.RefreshTokens[i]
		if rt.ClientID == clientID {
			own = rt
			continue
		}
		if rt.FamilyID == "" || (knownFamily != "" && rt.FamilyID != knownFamily) {
			continue
		}
		if family == nil || rt.CachedAt.After(family.CachedAt) {
			family = rt
		}
	}
	var out []domain.RefreshToken
	if family != nil && !knownOutside {
		out = append(out, *family)
	}
	if own != nil {
		out = append(out, *own)
	}
	return out
}
