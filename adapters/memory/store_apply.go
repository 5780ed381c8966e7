package memory

import (
	"encoding/json"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// apply upserts every entry of c into p, which the caller holds locked, through e. A
// refresh token replaces the stored one of its key only when its CachedAt (second
// precision, as stored) is not older. It returns the number of refresh tokens kept
// because a newer one was stored.
func (p *partition) apply(e *edit, c copyIn) (keptNewer int) {
	for _, t := range c.accessTokens {
		put(e, accessTokens, t)
	}
	for _, t := range c.refreshTokens {
		if b, i := locate(e, refreshTokens, t.KeyFields()); b != nil && t.CachedAt.Before(b.refreshTokens[i].CachedAt) {
			keptNewer++
			continue
		}
		put(e, refreshTokens, t)
	}
	for _, t := range c.idTokens {
		put(e, idTokens, t)
	}
	for _, a := range c.accounts {
		if old, from := put(e, accounts, a); from != nil {
			p.unindexUsername(old.Username, from)
		}
		p.indexUsername(a.Username, e.bucket(domain.FoldHomeAccountID(a.HomeAccountID), false).home)
	}
	for _, m := range c.appMetadata {
		p.putAppMetadata(m)
	}
	for _, f := range c.foreign { // a section of the same name is replaced whole
		if p.foreign == nil {
			p.foreign = map[string]json.RawMessage{}
		}
		p.foreign[f.Name] = f.Value
	}
	return keptNewer
}

// deleteAccessTokens removes the access tokens of the given KeyFields; unknown ones are
// ignored.
func deleteAccessTokens(e *edit, ids [][6]string) {
	for _, id := range ids {
		drop(e, accessTokens, id)
	}
}

// usernameIndex finds the buckets holding an account record of a username without
// keeping the username: it maps a seeded hash of the folded username to the folded home
// account ids of those buckets, strings of its own (the partition's keys are substrings
// of packed forms, which an index entry outliving a repack would keep alive). The common case, one
// account per username, costs one map slot; more homes for one hash (the same username
// in several accounts, or two usernames whose hashes collide) go to more. Callers check
// the candidates' account records, so a collision costs a look, never a wrong answer.
type usernameIndex struct {
	seed maphash.Seed
	one  map[uint64]string
	more map[uint64][]string // the homes after the first, for the few hashes that have them
}

func newUsernameIndex() usernameIndex {
	return usernameIndex{seed: maphash.MakeSeed(), one: map[uint64]string{}, more: map[uint64][]string{}}
}

func (x *usernameIndex) hash(folded string) uint64 { return maphash.String(x.seed, folded) }

// homes returns the candidate buckets of the folded username u.
func (x *usernameIndex) homes(u string) []string {
	h := x.hash(u)
	first, ok := x.one[h]
	if !ok {
		return nil
	}
	return append([]string{first}, x.more[h]...)
}

func (x *usernameIndex) len() int { return len(x.one) }

// indexUsername files the bucket of home under the folded username, in a copy of home
// (see usernameIndex). Accounts without a username are not indexed: a username filter
// never selects them.
func (p *partition) indexUsername(username, home string) {
	if username == "" {
		return
	}
	x := &p.usernames
	h := x.hash(domain.FoldUsername(username))
	first, ok := x.one[h]
	switch {
	case !ok:
		x.one[h] = strings.Clone(home)
	case first != home && !slices.Contains(x.more[h], home):
		x.more[h] = append(x.more[h], strings.Clone(home))
	}
}

// unindexUsername unfiles b from the folded username unless another account record
// of b still carries a username of the same hash.
func (p *partition) unindexUsername(username string, b *bucket) {
	if username == "" {
		return
	}
	x := &p.usernames
	h := x.hash(domain.FoldUsername(username))
	if slices.ContainsFunc(b.accounts, func(a domain.Account) bool { return a.Username != "" && x.hash(domain.FoldUsername(a.Username)) == h }) {
		return
	}
	more := slices.DeleteFunc(x.more[h], func(home string) bool { return home == b.home })
	if first, ok := x.one[h]; ok && first == b.home {
		if len(more) == 0 {
			delete(x.one, h)
		} else {
			x.one[h], more = more[0], more[1:]
		}
	}
	if len(more) == 0 {
		delete(x.more, h)
	} else {
		x.more[h] = more
	}
}

// putAppMetadata upserts m, filed by its folded client id and environment (its
// KeyFields: its Key's dashes could make two apps' one).
func (p *partition) putAppMetadata(m domain.AppMetadata) {
	client, env := fold(m.ClientID), fold(m.Environment)
	byEnv := p.appMetadata[client]
	if byEnv == nil {
		byEnv = map[string]domain.AppMetadata{}
		p.appMetadata[client] = byEnv
	}
	byEnv[env] = m
}
