package nearcache

import (
	"encoding/json"
	"slices"
	"unsafe"

	"github.com/hexauth/hexauth/domain"
)

// copyEntries copies e so that neither the near entry nor its reader can change the
// other: the slices and the Extra maps (strings are immutable and shared). The usual
// hit (one access token, one ID token, one account) takes one allocation.
func copyEntries(e domain.CacheEntries) domain.CacheEntries {
	type buf struct {
		at   [1]domain.AccessToken
		idt  [1]domain.IDToken
		acct [1]domain.Account
	}
	var b *buf
	if len(e.AccessTokens) <= 1 && len(e.IDTokens) <= 1 && len(e.Accounts) <= 1 {
		b = new(buf)
	}
	var out domain.CacheEntries
	if e.AccessTokens != nil {
		out.AccessTokens = into(b, func(b *buf) []domain.AccessToken { return b.at[:0:1] }, e.AccessTokens)
		for i := range out.AccessTokens {
			out.AccessTokens[i].Extra = cloneExtra(out.AccessTokens[i].Extra)
		}
	}
	if e.IDTokens != nil {
		out.IDTokens = into(b, func(b *buf) []domain.IDToken { return b.idt[:0:1] }, e.IDTokens)
		for i := range out.IDTokens {
			out.IDTokens[i].Extra = cloneExtra(out.IDTokens[i].Extra)
		}
	}
	if e.Accounts != nil {
		out.Accounts = into(b, func(b *buf) []domain.Account { return b.acct[:0:1] }, e.Accounts)
		for i := range out.Accounts {
			out.Accounts[i].Extra = cloneExtra(out.Accounts[i].Extra)
		}
	}
	if e.RefreshTokens != nil { // a store without a hit read returns Find's entries
		out.RefreshTokens = slices.Clone(e.RefreshTokens)
		for i := range out.RefreshTokens {
			out.RefreshTokens[i].Extra = cloneExtra(out.RefreshTokens[i].Extra)
		}
	}
	if e.AppMetadata != nil {
		out.AppMetadata = slices.Clone(e.AppMetadata)
		for i := range out.AppMetadata {
			out.AppMetadata[i].Extra = cloneExtra(out.AppMetadata[i].Extra)
		}
	}
	return out
}

// into appends src to the buffer's slice when there is a buffer, else to a new one.
func into[B any, T any](b *B, slot func(*B) []T, src []T) []T {
	if b != nil {
		return append(slot(b), src...)
	}
	return slices.Clone(src)
}

func cloneExtra(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// Estimated sizes: what a near entry holds besides its strings' bytes — the entry and
// its two map slots (the key is held by the entry and by the map), and per token or
// account its struct in the entry's slice — plus the strings, by their length, and the
// Extra maps.
const (
	entryOverhead = int(unsafe.Sizeof(entry{})) + 2*mapSlot
	mapSlot       = 48 // a Go map's slot for a string key and a pointer, with its share of the table
)

// sizeOf estimates what keeping got under key costs.
func sizeOf(key string, got domain.CacheEntries) int64 {
	n := entryOverhead + len(key) + domain.ChangeKeyLen
	for _, t := range got.AccessTokens {
		n += int(unsafe.Sizeof(t)) + len(t.HomeAccountID) + len(t.Environment) + len(t.ClientID) + len(t.Realm) +
			len(t.Target) + len(t.Secret) + len(t.TokenType) + len(t.KeyID) + extraSize(t.Extra)
	}
	for _, t := range got.IDTokens {
		n += int(unsafe.Sizeof(t)) + len(t.HomeAccountID) + len(t.Environment) + len(t.ClientID) + len(t.Realm) +
			len(t.Secret) + extraSize(t.Extra)
	}
	for _, a := range got.Accounts {
		n += int(unsafe.Sizeof(a)) + len(a.HomeAccountID) + len(a.Environment) + len(a.Realm) + len(a.LocalAccountID) +
			len(a.Username) + len(a.Name) + len(a.AuthorityType) + extraSize(a.Extra)
	}
	for _, t := range got.RefreshTokens {
		n += int(unsafe.Sizeof(t)) + len(t.HomeAccountID) + len(t.Environment) + len(t.ClientID) + len(t.Realm) +
			len(t.FamilyID) + len(t.Secret) + len(t.Target) + extraSize(t.Extra)
	}
	for _, m := range got.AppMetadata {
		n += int(unsafe.Sizeof(m)) + len(m.ClientID) + len(m.Environment) + len(m.FamilyID) + extraSize(m.Extra)
	}
	// Go rounds each allocation up to a size class (a 1,600-byte secret takes 1,792):
	// an eighth more keeps the estimate above the heap actually retained.
	return int64(n + n/8)
}

// extraSize estimates an Extra map: a map header and, per field, a slot, the name and
// the value.
func extraSize(m map[string]json.RawMessage) int {
	if m == nil {
		return 0
	}
	n := 48
	for k, v := range m {
		n += mapSlot + 24 + len(k) + len(v)
	}
	return n
}
