package memory

import (
	"slices"
	"sync"

	"github.com/hexauth/hexauth/domain"
)

// entryKind tells the kinds of account-bound entries apart in the key index, so that
// keys of different kinds never collide.
type entryKind uint8

const (
	kindAccessToken entryKind = iota
	kindRefreshToken
	kindIDToken
	kindAccount
)

// entryID identifies an account-bound entry within a partition.
type entryID struct {
	kind entryKind
	key  string
}

// keyed is a stored entry with its cache key, computed once on the way in.
type keyed[E any] struct {
	key   string
	entry E
}

// bucket holds every entry of one home account (folded) in one partition. An account
// has a handful of entries, so the slices are searched linearly: the cost is that of
// the account, never that of the cache.
type bucket struct {
	home          string // the folded home account id it is filed under
	accessTokens  []keyed[domain.AccessToken]
	refreshTokens []keyed[domain.RefreshToken]
	idTokens      []keyed[domain.IDToken]
	accounts      []keyed[domain.Account]
}

func (b *bucket) empty() bool {
	return len(b.accessTokens)+len(b.refreshTokens)+len(b.idTokens)+len(b.accounts) == 0
}

// partition is everything stored under one partition name, with its indexes. mu
// guards every field.
type partition struct {
	mu sync.RWMutex
	// buckets maps a folded home account id to its entries.
	buckets map[string]*bucket
	// where maps an entry's identity to the bucket holding it, for deletions by key.
	where map[entryID]*bucket
	// usernames maps a folded username to the keys of the accounts that carry it.
	usernames map[string][]string
	// appMetadata maps a folded client id to its app metadata, by key; appClient maps
	// an app metadata key to the folded client id it is filed under.
	appMetadata map[string]map[string]domain.AppMetadata
	appClient   map[string]string
}

func newPartition() *partition {
	return &partition{
		buckets:     map[string]*bucket{},
		where:       map[entryID]*bucket{},
		usernames:   map[string][]string{},
		appMetadata: map[string]map[string]domain.AppMetadata{},
		appClient:   map[string]string{},
	}
}

// slot selects one kind's slice in a bucket.
type slot[E any] func(*bucket) *[]keyed[E]

func accessTokens(b *bucket) *[]keyed[domain.AccessToken]   { return &b.accessTokens }
func refreshTokens(b *bucket) *[]keyed[domain.RefreshToken] { return &b.refreshTokens }
func idTokens(b *bucket) *[]keyed[domain.IDToken]           { return &b.idTokens }
func accounts(b *bucket) *[]keyed[domain.Account]           { return &b.accounts }

// lookup returns the stored entry of kind and key, or nil.
func lookup[E any](p *partition, kind entryKind, sl slot[E], key string) *E {
	b := p.where[entryID{kind, key}]
	if b == nil {
		return nil
	}
	s := *sl(b)
	for i := range s {
		if s[i].key == key {
			return &s[i].entry
		}
	}
	return nil
}

// put upserts e under key into the bucket of home, moving it from another bucket if
// an entry of the same key was filed elsewhere. It returns the entry it replaced.
func put[E any](p *partition, kind entryKind, sl slot[E], home, key string, e E) (old E, replaced bool) {
	id := entryID{kind, key}
	b := p.buckets[home]
	if prev := p.where[id]; prev != nil && prev != b {
		old, replaced = drop(p, kind, sl, key)
	}
	if b == nil {
		b = &bucket{home: home}
		p.buckets[home] = b
	}
	s := sl(b)
	for i := range *s {
		if (*s)[i].key == key {
			old, replaced = (*s)[i].entry, true
			(*s)[i].entry = e
			return old, replaced
		}
	}
	*s = append(*s, keyed[E]{key: key, entry: e})
	p.where[id] = b
	return old, replaced
}

// drop removes the entry of kind and key and returns it.
func drop[E any](p *partition, kind entryKind, sl slot[E], key string) (old E, dropped bool) {
	id := entryID{kind, key}
	b := p.where[id]
	if b == nil {
		return old, false
	}
	delete(p.where, id)
	s := sl(b)
	i := slices.IndexFunc(*s, func(k keyed[E]) bool { return k.key == key })
	if i < 0 {
		return old, false
	}
	old = (*s)[i].entry
	*s = slices.Delete(*s, i, i+1)
	p.pruneBucket(b)
	return old, true
}

// dropWhere removes the entries of one kind in b for which match is true, calling
// gone with each, and returns how many it removed.
func dropWhere[E any](p *partition, kind entryKind, sl slot[E], b *bucket, match func(*E) bool, gone func(*E)) int {
	s := sl(b)
	n := len(*s)
	*s = slices.DeleteFunc(*s, func(k keyed[E]) bool {
		if !match(&k.entry) {
			return false
		}
		delete(p.where, entryID{kind, k.key})
		if gone != nil {
			gone(&k.entry)
		}
		return true
	})
	return n - len(*s)
}

// pruneBucket forgets b when it holds nothing, so that removed accounts cost nothing.
func (p *partition) pruneBucket(b *bucket) {
	if b.empty() && p.buckets[b.home] == b {
		delete(p.buckets, b.home)
	}
}
