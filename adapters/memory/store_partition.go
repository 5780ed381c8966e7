package memory

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/hexauth/hexauth/domain"
)

// bucket is the unpacked, editable form of one home account's entries (folded) in one
// partition: reads and edits unpack a bucket, edits pack it again (store_pack.go). An
// account has a handful of entries, so the slices are searched linearly: the cost is
// that of the account, never that of the cache.
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
// Keys are not stored: an account-bound entry is filed in the bucket of its folded
// home account id, and the entries of that bucket are compared by KeyFields.
type partition struct {
	mu sync.RWMutex
	// buckets maps a folded home account id to its entries, packed. The map's key is
	// the packed form's own copy of the id (packed.home): the look-up's key compare then
	// reads bytes the hit reads anyway. Every assignment passes the new packed form's
	// key, which the map stores, so no key keeps an older packed form alive.
	buckets map[string]packed
	// usernames finds the buckets holding an account record of a username.
	usernames usernameIndex
	// appMetadata maps a folded client id to its app metadata, by folded environment.
	appMetadata map[string]map[string]domain.AppMetadata
	// foreign maps a foreign section's name to its value (domain.ForeignSection): kept
	// for export only, never read by a flow.
	foreign map[string]json.RawMessage
}

func newPartition() *partition {
	return &partition{
		buckets:     map[string]packed{},
		usernames:   newUsernameIndex(),
		appMetadata: map[string]map[string]domain.AppMetadata{},
	}
}

// keyer is an entry of the unified cache. Entries are told apart by their KeyFields,
// never by Key, whose unescaped dashes let two entries share one (DESIGN §3).
type keyer interface{ KeyFields() [6]string }

// slot selects one kind's slice in a bucket.
type slot[E keyer] func(*bucket) *[]E

func accessTokens(b *bucket) *[]domain.AccessToken   { return &b.accessTokens }
func refreshTokens(b *bucket) *[]domain.RefreshToken { return &b.refreshTokens }
func idTokens(b *bucket) *[]domain.IDToken           { return &b.idTokens }
func accounts(b *bucket) *[]domain.Account           { return &b.accounts }

// indexOf returns the index of the entry of s whose KeyFields are id, or -1.
func indexOf[E keyer](s []E, id [6]string) int {
	return slices.IndexFunc(s, func(e E) bool { return e.KeyFields() == id })
}

// edit is a set of changes to a partition's buckets: the buckets it touches are
// unpacked once, changed in place, and packed again by commit.
type edit struct {
	p    *partition
	open map[string]*bucket
}

func (p *partition) edit() *edit { return &edit{p: p, open: map[string]*bucket{}} }

// bucket returns the unpacked bucket of the folded home account id home; nil when the
// partition holds nothing of it, unless create.
func (e *edit) bucket(home string, create bool) *bucket {
	if b := e.open[home]; b != nil {
		return b
	}
	var b *bucket
	if pk, ok := e.p.buckets[home]; ok {
		b = unpackInto(&bucket{}, pk)
		b.home = pk.home()
	} else if create {
		b = &bucket{home: home} // only the packed form and the username index keep it, each in a copy
	} else {
		return nil
	}
	e.open[home] = b
	return b
}

// commit packs every bucket the edit touched; an empty one is forgotten, so that
// removed accounts cost nothing.
func (e *edit) commit() {
	for _, b := range e.open {
		if b.empty() {
			delete(e.p.buckets, b.home)
			continue
		}
		pk := pack(b.home, b)
		e.p.buckets[pk.home()] = pk
	}
}

// locate returns the bucket holding the entry of one kind whose KeyFields are id, and
// its index there, or nil and -1. The bucket is that of the entry's folded home
// account id, id[1].
func locate[E keyer](e *edit, sl slot[E], id [6]string) (*bucket, int) {
	if b := e.bucket(id[1], false); b != nil {
		if i := indexOf(*sl(b), id); i >= 0 {
			return b, i
		}
	}
	return nil, -1
}

// put upserts en into the bucket of its folded home account id. It returns the entry
// replaced, if any, and the bucket it was in.
func put[E keyer](e *edit, sl slot[E], en E) (old E, from *bucket) {
	id := en.KeyFields()
	b := e.bucket(id[1], true)
	if i := indexOf(*sl(b), id); i >= 0 {
		s := *sl(b)
		old, s[i] = s[i], en
		return old, b
	}
	*sl(b) = append(*sl(b), en)
	return old, nil
}

// drop removes the entry of one kind whose KeyFields are id, if there is one.
func drop[E keyer](e *edit, sl slot[E], id [6]string) {
	if b, i := locate(e, sl, id); b != nil {
		*sl(b) = slices.Delete(*sl(b), i, i+1)
	}
}

// dropWhere removes the entries of one kind in b for which match is true.
func dropWhere[E keyer](sl slot[E], b *bucket, match func(*E) bool) {
	*sl(b) = slices.DeleteFunc(*sl(b), func(e E) bool { return match(&e) })
}
