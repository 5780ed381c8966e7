package memory

import (
	"encoding/binary"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/secretpack"
)

// An account's entries are kept packed: two immutable strings instead of a struct and
// its strings per entry, so that an account costs its tokens' bytes plus a few hundred,
// not a kilobyte and a half (docs/benchmarks.md, "Memory per cached account").
//
//   - hot holds what a silent hit reads, and the table of every entry:
//     uvarint(len(home)) uvarint(len(table)) uvarint(len(meta)) table meta secrets.
//     meta is the entries' short strings, each stored once (a realm inside the home
//     account id, say, is not stored again), and starts with home, the folded home
//     account id the account is filed under: the partition map's key is that
//     substring, so the key compare of a look-up reads the bytes the hit reads next
//     rather than an object of its own elsewhere in memory. The access token's strings,
//     which a hit compares (home, host, client id, scope, token type), come first,
//     right after the table, and the account's, which it only hands out, after them. secrets are the ID tokens
//     then the access tokens, verbatim, so that a hit hands them out as substrings
//     without copying; the ID token first because a hit may read it (the silent flow's
//     claims cache hashes it when it does not know its address: ports.StableSecrets)
//     and the access token it only hands out, so that what a hit reads is one run of
//     bytes.
//   - cold holds the refresh tokens' secrets, which only a refresh reads, base64url runs
//     stored as the bytes they encode (internal/secretpack): a quarter smaller.
//
// The table lists the access tokens, ID tokens and account records first and the
// refresh tokens last, so that a hit stops reading before them. A string field is
// uvarint(len<<2 | region) and, when len > 0, uvarint(offset) in its region. A time is
// 0 for the zero time, else zigzag(Unix seconds)+1 (the store keeps seconds). Extra is
// uvarint(count) and each name and value as strings.
//
// Strings handed out by a read are substrings of hot: nothing can change them, and
// nothing is copied. Extra values are copied out (json.RawMessage is mutable).
//
// Memory latency, not instructions, is what a hit costs once the cache outgrows the
// CPU's caches: a hit touches the map's slot and one run of hot, two places in memory
// (there were four: the slot, a key string of its own, and two runs of hot).
type packed struct {
	hot, cold string
}

// home returns the folded home account id the account is filed under: the partition
// map's key, a substring of hot. A map assignment stores the key it is given, so the
// key of a repacked account is the new hot's and the old hot is not kept alive.
func (pk packed) home() string {
	n, k := uvarint(pk.hot)
	nt, k2 := uvarint(pk.hot[k:])
	_, k3 := uvarint(pk.hot[k+k2:])
	start := k + k2 + k3 + int(nt)
	return pk.hot[start : start+int(n)]
}

// Regions of a string field.
const (
	regionMeta    = 0
	regionSecrets = 1
	regionCold    = 2
)

// packer builds one account's packed form.
type packer struct {
	tab, cold []byte
	// secrets is sized up front: the ID tokens' from 0, the access tokens' from idEnd.
	secrets    []byte
	idAt, atAt int
	meta       strings.Builder // searched as it grows: String() does not copy
}

func (p *packer) uv(v uint64) { p.tab = binary.AppendUvarint(p.tab, v) }

// str records s among the short strings, reusing an earlier occurrence of its bytes.
func (p *packer) str(s string) {
	if s == "" {
		p.uv(0)
		return
	}
	off := strings.Index(p.meta.String(), s)
	if off < 0 {
		off = p.meta.Len()
		p.meta.WriteString(s)
	}
	p.uv(uint64(len(s))<<2 | regionMeta)
	p.uv(uint64(off))
}

// secret records s verbatim among the hot secrets, at *at, which it advances.
func (p *packer) secret(s domain.Secret, at *int) {
	if s == "" {
		p.uv(0)
		return
	}
	p.uv(uint64(len(s))<<2 | regionSecrets)
	p.uv(uint64(*at))
	*at += copy(p.secrets[*at:], s)
}

// coldSecret records s packed in the cold string.
func (p *packer) coldSecret(s domain.Secret) {
	if s == "" {
		p.uv(0)
		return
	}
	off := len(p.cold)
	p.cold = secretpack.Append(p.cold, string(s))
	p.uv(uint64(len(p.cold)-off)<<2 | regionCold)
	p.uv(uint64(off))
}

func (p *packer) time(t time.Time) {
	if t.IsZero() {
		p.uv(0)
		return
	}
	s := t.Unix()
	p.uv(uint64(s<<1^s>>63) + 1)
}

func (p *packer) extra(m map[string]json.RawMessage) {
	p.uv(uint64(len(m)))
	for k, v := range m {
		p.str(k)
		p.str(string(v))
	}
}

// pack returns the packed form of b's entries.
func pack(home string, b *bucket) packed {
	p := new(packer) // a strings.Builder may not be copied
	p.meta.WriteString(home)
	idLen, atLen := 0, 0
	for i := range b.idTokens {
		idLen += len(b.idTokens[i].Secret)
	}
	for i := range b.accessTokens {
		atLen += len(b.accessTokens[i].Secret)
	}
	p.secrets, p.atAt = make([]byte, idLen+atLen), idLen
	p.uv(uint64(len(b.accessTokens)))
	for i := range b.accessTokens {
		t := &b.accessTokens[i]
		p.str(t.HomeAccountID)
		p.str(t.Environment)
		p.str(t.ClientID)
		p.str(t.Realm)
		p.str(t.Target)
		p.secret(t.Secret, &p.atAt)
		p.str(t.TokenType)
		p.time(t.CachedAt)
		p.time(t.ExpiresOn)
		p.time(t.ExtendedExpiresOn)
		p.time(t.RefreshOn)
		p.str(t.KeyID)
		p.extra(t.Extra)
	}
	p.uv(uint64(len(b.idTokens)))
	for i := range b.idTokens {
		t := &b.idTokens[i]
		p.str(t.HomeAccountID)
		p.str(t.Environment)
		p.str(t.ClientID)
		p.str(t.Realm)
		p.secret(t.Secret, &p.idAt)
		p.extra(t.Extra)
	}
	p.uv(uint64(len(b.accounts)))
	for i := range b.accounts {
		a := &b.accounts[i]
		p.str(a.HomeAccountID)
		p.str(a.Environment)
		p.str(a.Realm)
		p.str(a.LocalAccountID)
		p.str(a.Username)
		p.str(a.Name)
		p.str(a.AuthorityType)
		p.extra(a.Extra)
	}
	p.uv(uint64(len(b.refreshTokens)))
	for i := range b.refreshTokens {
		t := &b.refreshTokens[i]
		p.str(t.HomeAccountID)
		p.str(t.Environment)
		p.str(t.ClientID)
		p.str(t.FamilyID)
		p.str(t.Realm)
		p.str(t.Target)
		p.coldSecret(t.Secret)
		p.time(t.CachedAt)
		p.extra(t.Extra)
	}
	// One allocation for hot, one for cold: the scratch slices are garbage.
	var sb strings.Builder
	head := binary.AppendUvarint(nil, uint64(len(home)))
	head = binary.AppendUvarint(head, uint64(len(p.tab)))
	head = binary.AppendUvarint(head, uint64(p.meta.Len()))
	sb.Grow(len(head) + len(p.tab) + p.meta.Len() + len(p.secrets))
	sb.Write(head)
	sb.Write(p.tab)
	sb.WriteString(p.meta.String())
	sb.Write(p.secrets)
	return packed{hot: sb.String(), cold: string(p.cold)}
}

// unpacker reads the entries of a packed account in table order. It advances an index
// into tab rather than re-slicing it: an int is stored without the garbage collector's
// write barrier, a string header is not, and a hit reads some sixty varints.
type unpacker struct {
	tab, meta, secrets, cold string
	pos                      int
	// noCold leaves the refresh tokens' secrets empty: a listing reads who holds
	// tokens, never a refresh token, and unpacking one costs an allocation.
	noCold bool
}

func newUnpacker(pk packed) unpacker {
	s := pk.hot
	_, k := uvarint(s)
	s = s[k:]
	nt, k := uvarint(s)
	s = s[k:]
	nm, k := uvarint(s)
	s = s[k:]
	return unpacker{tab: s[:nt], meta: s[nt : nt+nm], secrets: s[nt+nm:], cold: pk.cold}
}

// uv reads the next varint of the table. Most are one byte (lengths of short fields,
// offsets into them, counts) or two (the tokens' lengths and offsets), and a hit reads
// some sixty: those take a path without a loop or a substring (a tenth of a hit's
// instructions went to the loop).
func (u *unpacker) uv() uint64 {
	t, p := u.tab, u.pos
	if p < len(t) && t[p] < 0x80 {
		u.pos = p + 1
		return uint64(t[p])
	}
	if p+1 < len(t) && t[p+1] < 0x80 {
		u.pos = p + 2
		return uint64(t[p]&0x7f) | uint64(t[p+1])<<7
	}
	v, k := uvarint(t[p:])
	u.pos = p + k
	return v
}

// uvarint is binary.Uvarint on a string, which a hit reads without converting it to a
// []byte (a copy, where the compiler cannot prove the bytes unchanged). Its input is
// what binary.AppendUvarint wrote: at most ten bytes, the last below 0x80.
func uvarint(s string) (uint64, int) {
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			return v | uint64(c)<<(7*i), i + 1
		}
		v |= uint64(c&0x7f) << (7 * i)
	}
	return v, len(s)
}

// raw returns the bytes of a string field as stored, and its region.
func (u *unpacker) raw() (string, uint64) {
	h := u.uv()
	if h == 0 {
		return "", regionMeta
	}
	n, region, off := h>>2, h&3, u.uv()
	switch region {
	case regionMeta:
		return u.meta[off : off+n], region
	case regionSecrets:
		return u.secrets[off : off+n], region
	default:
		return u.cold[off : off+n], region
	}
}

func (u *unpacker) str() string { s, _ := u.raw(); return s }

func (u *unpacker) secret() domain.Secret {
	s, region := u.raw()
	if region == regionCold {
		if u.noCold {
			return ""
		}
		// This process packed it: it cannot be malformed, and if it were, an empty
		// secret is never presented (refresh candidates skip it).
		plain, _ := secretpack.Unpack(s)
		return domain.Secret(plain)
	}
	return domain.Secret(s)
}

func (u *unpacker) time() time.Time {
	v := u.uv()
	if v == 0 {
		return time.Time{}
	}
	v--
	return time.Unix(int64(v>>1)^-int64(v&1), 0).UTC()
}

// extra returns a fresh map: the caller may change it.
func (u *unpacker) extra() map[string]json.RawMessage {
	n := u.uv()
	if n == 0 {
		return nil
	}
	m := make(map[string]json.RawMessage, n)
	for range n {
		k := u.str()
		m[k] = json.RawMessage(u.str())
	}
	return m
}

func (u *unpacker) accessToken(t *domain.AccessToken) {
	*t = domain.AccessToken{
		HomeAccountID: u.str(), Environment: u.str(), ClientID: u.str(), Realm: u.str(), Target: u.str(),
		Secret: u.secret(), TokenType: u.str(),
		CachedAt: u.time(), ExpiresOn: u.time(), ExtendedExpiresOn: u.time(), RefreshOn: u.time(),
		KeyID: u.str(), Extra: u.extra(),
	}
}

func (u *unpacker) idToken(t *domain.IDToken) {
	*t = domain.IDToken{HomeAccountID: u.str(), Environment: u.str(), ClientID: u.str(), Realm: u.str(), Secret: u.secret(), Extra: u.extra()}
}

func (u *unpacker) account(a *domain.Account) {
	*a = domain.Account{HomeAccountID: u.str(), Environment: u.str(), Realm: u.str(), LocalAccountID: u.str(),
		Username: u.str(), Name: u.str(), AuthorityType: u.str(), Extra: u.extra()}
}

func (u *unpacker) refreshToken(t *domain.RefreshToken) {
	*t = domain.RefreshToken{HomeAccountID: u.str(), Environment: u.str(), ClientID: u.str(), FamilyID: u.str(),
		Realm: u.str(), Target: u.str(), Secret: u.secret(), CachedAt: u.time(), Extra: u.extra()}
}

// unpackInto fills b with the entries of pk (reusing b's slices) and returns b.
func unpackInto(b *bucket, pk packed) *bucket {
	u := newUnpacker(pk)
	return u.into(b)
}

// unpackListing is unpackInto less the refresh tokens' secrets, which it leaves empty:
// for reads that never return a refresh token.
func unpackListing(b *bucket, pk packed) *bucket {
	u := newUnpacker(pk)
	u.noCold = true
	return u.into(b)
}

// into fills b with the entries of the table, reusing b's slices. Direct calls, not
// a generic helper taking the reader: a function value would make u escape to the heap
// (an allocation per account of a listing).
func (u *unpacker) into(b *bucket) *bucket {
	b.accessTokens = resize(b.accessTokens, int(u.uv()))
	for i := range b.accessTokens {
		u.accessToken(&b.accessTokens[i])
	}
	b.idTokens = resize(b.idTokens, int(u.uv()))
	for i := range b.idTokens {
		u.idToken(&b.idTokens[i])
	}
	b.accounts = resize(b.accounts, int(u.uv()))
	for i := range b.accounts {
		u.account(&b.accounts[i])
	}
	b.refreshTokens = resize(b.refreshTokens, int(u.uv()))
	for i := range b.refreshTokens {
		u.refreshToken(&b.refreshTokens[i])
	}
	return b
}

// resize returns s with length n, reusing its array when it is large enough.
func resize[E any](s []E, n int) []E { return slices.Grow(s[:0], n)[:n] }
