package msalcache

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// candidate is a decoded entry with the key the document filed it under (srcKey), its
// hexauth key (key, from its fields) and the fields hexauth identifies it by (id,
// KeyFields): two entries whose keys collide (their fields hold dashes) are two.
type candidate[T any] struct {
	v      T
	srcKey string
	key    string
	id     [6]string
	// exported is set on a refresh token as a hexauth export wrote it: hexauth's own
	// cached_at and no last_modification_time (see better).
	exported bool
	// exportKey is set on a refresh token filed under the key a hexauth export gives it.
	exportKey bool
}

// Several entries of a document can name the same hexauth entry: MSAL Go 1.0 wrote
// mixed-case keys that MSAL Go 1.1 rewrote in lower case beside the old ones, MSAL Node
// files a family refresh token under the family id beside the app's own, and hexauth
// keeps one refresh token per account, environment and client where MSAL Python keys
// them by target too. One entry is kept per identity (KeyFields), chosen by the section's preference
// (newer first), then the entry filed under a lower-case key (as MSAL ≥ 1.1 writes and
// reads them), then the smallest document key; the others are reported as skipped.

// preference returns a negative number when a should be kept over b, a positive one
// when b should, zero when it has no preference.
type preference[T any] func(a, b T) int

// preferAccessToken keeps a bearer token over another kind, then the newer one.
func preferAccessToken(a, b domain.AccessToken) int {
	if ab, bb := strings.EqualFold(a.TokenType, "Bearer"), strings.EqualFold(b.TokenType, "Bearer"); ab != bb {
		if ab {
			return -1
		}
		return 1
	}
	return b.CachedAt.Compare(a.CachedAt)
}

// preferRefreshToken keeps the newer token, then a family token, which serves the app
// and its family, over the app's own.
func preferRefreshToken(a, b domain.RefreshToken) int {
	if c := b.CachedAt.Compare(a.CachedAt); c != 0 {
		return c
	}
	switch {
	case a.FamilyID != "" && b.FamilyID == "":
		return -1
	case a.FamilyID == "" && b.FamilyID != "":
		return 1
	}
	return 0
}

func noPreference[T any](a, b T) int { return 0 }

// better reports whether a is kept over b.
func better[T any](a, b candidate[T], prefer preference[T]) bool {
	// Of two refresh tokens of one identity, the one a hexauth export wrote (dated by
	// hexauth's cached_at, untouched by MSAL Python) is the older whatever the dates
	// say: an export holds one refresh token per identity, and MSAL libraries keep
	// hexauth's field without ever writing it while filing their own rotations under
	// their own keys beside it (MSAL Go's undated "…-refreshtoken-<client>" beside an
	// older hexauth's export under MSAL Python's key; MSAL Python's key beside hexauth's),
	// so the other entry was written after the export, by a client that redeemed, and so
	// revoked, the exported one.
	if a.exported != b.exported {
		return !a.exported
	}
	if c := prefer(a.v, b.v); c != 0 {
		return c < 0
	}
	// Of two refresh tokens of one date (to the second: MSAL Python rotating a token
	// in the second hexauth exported it), the one under the key hexauth's export gives
	// it is the exported one; the other was filed by another writer since.
	if a.exportKey != b.exportKey {
		return !a.exportKey
	}
	if al, bl := a.srcKey == strings.ToLower(a.srcKey), b.srcKey == strings.ToLower(b.srcKey); al != bl {
		return al
	}
	return a.srcKey < b.srcKey
}

// dedupe keeps one candidate per identity, reports the others to d, and returns the kept
// entries sorted by key.
func dedupe[T any](d *decoder, section string, cs []candidate[T], prefer preference[T]) []T {
	kept := dedupeCandidates(d, section, cs, prefer)
	if kept == nil {
		return nil
	}
	out := make([]T, len(kept))
	for i, c := range kept {
		out[i] = c.v
	}
	return out
}

// dedupeCandidates is dedupe returning the kept candidates, with their document keys.
func dedupeCandidates[T any](d *decoder, section string, cs []candidate[T], prefer preference[T]) []candidate[T] {
	if len(cs) == 0 {
		return nil
	}
	groups := map[[6]string][]candidate[T]{}
	for _, c := range cs {
		groups[c.id] = append(groups[c.id], c)
	}
	out := make([]candidate[T], 0, len(groups))
	ids := slices.SortedFunc(maps.Keys(groups), func(a, b [6]string) int { // by key, as the entries are exported
		return cmp.Or(strings.Compare(groups[a][0].key, groups[b][0].key), slices.Compare(a[:], b[:]))
	})
	for _, id := range ids {
		g := groups[id]
		win := 0
		for i := 1; i < len(g); i++ {
			if better(g[i], g[win], prefer) {
				win = i
			}
		}
		for i, c := range g {
			if i != win {
				d.skip(section, c.srcKey, duplicateReason(g[win].srcKey))
			}
		}
		out = append(out, g[win])
	}
	return out
}

func duplicateReason(winner string) string {
	return "duplicate: names the same entry as " + quote(winner) + ", which was kept"
}
