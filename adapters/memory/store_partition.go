package memory

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/hexauth/hexauth/domain"
)

// bucket holds every entry of one home account (folded) in one partition. An account
// has a handful of entries, so the slices are searched linearly: the cost is that of
// the account, never that of the cache.
type bucket struct {
	home          string // the folded home account id it is filed under
	accessTokens  []domain.AccessToken
	refreshTokens []domain.RefreshToken
	idTokens      []domain.IDToken
	accounts      []domain.Account
}

func (b *bucket) empty() bool {
	return len(b.accessTokens)+len(b.refreshTokens)+len(b.idTokens)+len(b.accounts) == 0
}

// partition is everything stored under one partition name, with its indexes. mu
// guards every field.
//
// Keys are not stored: an account-bound entry's key starts with its folded home
// account id followed by "-", so the bucket of a key is found by trying the prefixes of
// the key that end before a "-" (a handful of map look-ups), and the entries of that
// bucket are compared by key. This halves the memory an account costs.
type partition struct {
	mu sync.RWMutex
	// buckets maps a folded home account id to its entries.
	buckets map[string]*bucket
	// usernames maps a folded username to the buckets (by folded home account id)
	// holding an account record with that username.
	usernames map[string][]string
	// appMetadata maps a folded client id to its app metadata, by key; appClient maps
	// an app metadata key to the folded client id it is filed under.
	appMetadata map[string]map[string]domain.AppMetadata
	appClient   map[string]string
	// foreign maps a foreign section's name to its value (domain.ForeignSection): kept
	// for export only, never read by a flow.
	foreign map[string]json.RawMessage
}

func newPartition() *partition {
	return &partition{
		buckets:     map[string]*bucket{},
		usernames:   map[string][]string{},
		appMetadata: map[string]map[string]domain.AppMetadata{},
		appClient:   map[string]string{},
	}
}

// keyer is an entry of the unified cache.
type keyer interface{ Key() string }

// slot selects one kind's slice in a bucket.
type slot[E keyer] func(*bucket) *[]E

func accessTokens(b *bucket) *[]domain.AccessToken   { return &b.accessTokens }
func refreshTokens(b *bucket) *[]domain.RefreshToken { return &b.refreshTokens }
func idTokens(b *bucket) *[]domain.IDToken           { return &b.idTokens }
func accounts(b *bucket) *[]domain.Account           { return &b.accounts }

// indexOf returns the index of the entry of s whose key is key, or -1.
func indexOf[E keyer](s []E, key string) int {
	return slices.IndexFunc(s, func(e E) bool { return e.Key() == key })
}

// locate returns the bucket holding the entry of one kind whose key is key, and its
// index there, or nil and -1.
func locate[E keyer](p *partition, sl slot[E], key string) (*bucket, int) {
	for j := range len(key) {
		if key[j] != '-' {
			continue
		}
		if b := p.buckets[key[:j]]; b != nil {
			if i := indexOf(*sl(b), key); i >= 0 {
				return b, i
			}
		}
	}
	return nil, -1
}

// put upserts e, whose key is key, into the bucket of home. An entry of the same key
// filed under another home account (keys can collide, as "-" may occur in their parts)
// is moved. It returns the entry replaced, if any, and the bucket it was in.
func put[E keyer](p *partition, sl slot[E], home, key string, e E) (old E, from *bucket) {
	b := p.buckets[home]
	if b != nil {
		if i := indexOf(*sl(b), key); i >= 0 {
			s := *sl(b)
			old, s[i] = s[i], e
			return old, b
		}
	}
	if ob, i := locate(p, sl, key); ob != nil {
		old, from = (*sl(ob))[i], ob
		*sl(ob) = slices.Delete(*sl(ob), i, i+1)
		p.pruneBucket(ob)
	}
	if b == nil {
		b = &bucket{home: home}
		p.buckets[home] = b
	}
	*sl(b) = append(*sl(b), e)
	return old, from
}

// drop removes the entry of one kind whose key is key, if there is one.
func drop[E keyer](p *partition, sl slot[E], key string) {
	if b, i := locate(p, sl, key); b != nil {
		*sl(b) = slices.Delete(*sl(b), i, i+1)
		p.pruneBucket(b)
	}
}

// dropWhere removes the entries of one kind in b for which match is true.
func dropWhere[E keyer](sl slot[E], b *bucket, match func(*E) bool) {
	*sl(b) = slices.DeleteFunc(*sl(b), func(e E) bool { return match(&e) })
}

// pruneBucket forgets b when it holds nothing, so that removed accounts cost nothing.
func (p *partition) pruneBucket(b *bucket) {
	if b.empty() && p.buckets[b.home] == b {
		delete(p.buckets, b.home)
	}
}
