package memory

import (
	"encoding/json"
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
		put(e, accessTokens, domain.FoldHomeAccountID(t.HomeAccountID), t.Key(), t)
	}
	for _, t := range c.refreshTokens {
		key := t.Key()
		if b, i := locate(e, refreshTokens, key); b != nil && t.CachedAt.Before(b.refreshTokens[i].CachedAt) {
			keptNewer++
			continue
		}
		put(e, refreshTokens, domain.FoldHomeAccountID(t.HomeAccountID), key, t)
	}
	for _, t := range c.idTokens {
		put(e, idTokens, domain.FoldHomeAccountID(t.HomeAccountID), t.Key(), t)
	}
	for _, a := range c.accounts {
		home := domain.FoldHomeAccountID(a.HomeAccountID)
		if old, from := put(e, accounts, home, a.Key(), a); from != nil {
			p.unindexUsername(old.Username, from)
		}
		p.indexUsername(a.Username, e.bucket(home, false).home)
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

// deleteAccessTokens removes the access tokens of the given keys; unknown keys are
// ignored.
func deleteAccessTokens(e *edit, keys []string) {
	for _, k := range keys {
		drop(e, accessTokens, k)
	}
}

// indexUsername files the bucket of home (the partition's own key string) under the
// folded username. Accounts without a username are not indexed: a username filter
// never selects them.
func (p *partition) indexUsername(username, home string) {
	if username == "" {
		return
	}
	u := domain.FoldUsername(username)
	homes, ok := p.usernames[u]
	if !ok {
		u = strings.Clone(u) // username may be a substring of a packed account
	}
	if !slices.Contains(homes, home) {
		p.usernames[u] = append(homes, home)
	}
}

// unindexUsername unfiles b from the folded username unless another account record
// of b still carries it.
func (p *partition) unindexUsername(username string, b *bucket) {
	if username == "" {
		return
	}
	u := domain.FoldUsername(username)
	if slices.ContainsFunc(b.accounts, func(a domain.Account) bool { return domain.FoldUsername(a.Username) == u }) {
		return
	}
	homes := slices.DeleteFunc(p.usernames[u], func(h string) bool { return h == b.home })
	if len(homes) == 0 {
		delete(p.usernames, u)
		return
	}
	p.usernames[u] = homes
}

// putAppMetadata upserts m, refiling it if its key was filed under another client id.
func (p *partition) putAppMetadata(m domain.AppMetadata) {
	key, client := m.Key(), fold(m.ClientID)
	if prev, ok := p.appClient[key]; ok && prev != client {
		delete(p.appMetadata[prev], key)
		if len(p.appMetadata[prev]) == 0 {
			delete(p.appMetadata, prev)
		}
	}
	byKey := p.appMetadata[client]
	if byKey == nil {
		byKey = map[string]domain.AppMetadata{}
		p.appMetadata[client] = byKey
	}
	byKey[key] = m
	p.appClient[key] = client
}
