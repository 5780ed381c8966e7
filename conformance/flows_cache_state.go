package conformance

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// cacheState is a partition's entries by kind and key, each with what a user of it would
// notice (its secret and times), so that a cache can be compared before and after a
// refused call. The values hold secrets: report keys only.
type cacheState map[string]string

// readCache returns the cacheState of partition.
func readCache(t *testing.T, s ports.CacheStore, partition string) cacheState {
	t.Helper()
	snap, err := s.Export(flowContext(t), partition)
	if err != nil {
		t.Fatalf("Export(%q) = %v", partition, err)
	}
	st := cacheState{}
	unix := func(tm time.Time) string { return fmt.Sprint(tm.Unix()) }
	for _, e := range snap.AccessTokens {
		st["access token "+e.Key()] = strings.Join([]string{string(e.Secret), e.TokenType, unix(e.ExpiresOn), unix(e.RefreshOn)}, "|")
	}
	for _, e := range snap.RefreshTokens {
		st["refresh token "+e.Key()] = strings.Join([]string{string(e.Secret), e.FamilyID, unix(e.CachedAt)}, "|")
	}
	for _, e := range snap.IDTokens {
		st["ID token "+e.Key()] = string(e.Secret)
	}
	for _, e := range snap.Accounts {
		st["account "+e.Key()] = strings.Join([]string{e.LocalAccountID, e.Username, e.Name, e.AuthorityType}, "|")
	}
	for _, e := range snap.AppMetadata {
		st["app metadata "+e.Key()] = e.FamilyID
	}
	return st
}

// wantCacheUnchanged fails the test when partition's entries differ from before,
// naming the entries added, removed or changed (never their secrets).
func wantCacheUnchanged(t *testing.T, after string, s ports.CacheStore, partition string, before cacheState) {
	t.Helper()
	now := readCache(t, s, partition)
	var diffs []string
	for k, v := range now {
		if old, ok := before[k]; !ok {
			diffs = append(diffs, "added "+k)
		} else if old != v {
			diffs = append(diffs, "changed "+k)
		}
	}
	for k := range before {
		if _, ok := now[k]; !ok {
			diffs = append(diffs, "removed "+k)
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		t.Fatalf("after %s the cache of partition %q changed; want nothing stored or removed:\n\t%s", after, partition, strings.Join(diffs, "\n\t"))
	}
}

// wantCacheEmpty fails the test when partition holds any entry after a refused call.
func wantCacheEmpty(t *testing.T, after string, s ports.CacheStore, partition string) {
	t.Helper()
	wantCacheUnchanged(t, after, s, partition, cacheState{})
}

// refreshTokenSecret returns the secret of the refresh token of clientID cached for
// the account, or "" when none is.
func refreshTokenSecret(t *testing.T, s ports.CacheStore, partition string, acct domain.Account, clientID string) domain.Secret {
	t.Helper()
	found, err := s.Find(flowContext(t), domain.CacheQuery{Partition: partition, HomeAccountID: acct.HomeAccountID})
	if err != nil {
		t.Fatalf("Find(%q) = %v", acct.HomeAccountID, err)
	}
	for _, rt := range found.RefreshTokens {
		if strings.EqualFold(rt.ClientID, clientID) {
			return rt.Secret
		}
	}
	return ""
}
