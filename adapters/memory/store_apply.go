package memory

import (
	"slices"

	"github.com/hexauth/hexauth/domain"
)

// apply upserts every entry of c into p, which the caller holds locked. A refresh
// token replaces the stored one of its key only when its CachedAt (second precision,
// as stored) is not older. It returns the number of refresh tokens kept because a newer
// one was stored.
func (p *partition) apply(c copyIn) (keptNewer int) {
	for _, t := range c.accessTokens {
		put(p, kindAccessToken, accessTokens, fold(t.HomeAccountID), t.Key(), t)
	}
	for _, t := range c.refreshTokens {
		key := t.Key()
		if cur := lookup(p, kindRefreshToken, refreshTokens, key); cur != nil && t.CachedAt.Before(cur.CachedAt) {
			keptNewer++
			continue
		}
		put(p, kindRefreshToken, refreshTokens, fold(t.HomeAccountID), key, t)
	}
	for _, t := range c.idTokens {
		put(p, kindIDToken, idTokens, fold(t.HomeAccountID), t.Key(), t)
	}
	for _, a := range c.accounts {
		key := a.Key()
		old, replaced := put(p, kindAccount, accounts, fold(a.HomeAccountID), key, a)
		if replaced {
			p.unindexUsername(old.Username, key)
		}
		p.indexUsername(a.Username, key)
	}
	for _, m := range c.appMetadata {
		p.putAppMetadata(m)
	}
	return keptNewer
}

// deleteAccessTokens removes the access tokens of the given keys; unknown keys are
// ignored.
func (p *partition) deleteAccessTokens(keys []string) {
	for _, k := range keys {
		drop(p, kindAccessToken, accessTokens, fold(k))
	}
}

// indexUsername files the account key under its folded username. Accounts without a
// username are not indexed: a username filter never selects them.
func (p *partition) indexUsername(username, key string) {
	if username == "" {
		return
	}
	u := domain.FoldUsername(username)
	if !slices.Contains(p.usernames[u], key) {
		p.usernames[u] = append(p.usernames[u], key)
	}
}

func (p *partition) unindexUsername(username, key string) {
	if username == "" {
		return
	}
	u := domain.FoldUsername(username)
	keys := slices.DeleteFunc(p.usernames[u], func(k string) bool { return k == key })
	if len(keys) == 0 {
		delete(p.usernames, u)
		return
	}
	p.usernames[u] = keys
}

// putAppMetadata upserts m, refiling it if its key was filed under another client id.
func (p *partition) putAppMetadata(m domain.AppMetadata) {
	key, client := m.Key(), fold(m.ClientID)
	if prev, ok := p.appClient[key]; ok && prev != client {
		p.dropAppMetadata(key)
	}
	byKey := p.appMetadata[client]
	if byKey == nil {
		byKey = map[string]domain.AppMetadata{}
		p.appMetadata[client] = byKey
	}
	byKey[key] = m
	p.appClient[key] = client
}

func (p *partition) dropAppMetadata(key string) {
	client, ok := p.appClient[key]
	if !ok {
		return
	}
	delete(p.appClient, key)
	delete(p.appMetadata[client], key)
	if len(p.appMetadata[client]) == 0 {
		delete(p.appMetadata, client)
	}
}
