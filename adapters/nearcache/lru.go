package nearcache

import (
	"time"

	"github.com/hexauth/hexauth/domain"
)

// entry is one near entry: what the store's hit read returned for one query.
type entry struct {
	key        string // appendQueryKey
	change     string // domain.ChangeKey of the query's partition and account
	val        domain.CacheEntries
	size       int64
	readAt     time.Time // when it was read from the store
	prev, next *entry    // in recency order
	sibling    *entry    // the next entry of the same change key
}

// lru holds the entries in recency order, bounded by their total size, indexed by
// query and by change key. Its user holds the lock.
type lru struct {
	items   map[string]*entry
	changes map[string]*entry // change key → first entry of that key
	root    entry             // sentinel: root.next is the most recently used
	bytes   int64
}

func (l *lru) init() {
	l.items = make(map[string]*entry)
	l.changes = make(map[string]*entry)
	l.root.next, l.root.prev = &l.root, &l.root
}

// get looks key up; the conversion in the index expression does not allocate.
func (l *lru) get(key []byte) *entry { return l.items[string(key)] }

// touch makes e the most recently used.
func (l *lru) touch(e *entry) {
	if l.root.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	l.pushFront(e)
}

func (l *lru) pushFront(e *entry) {
	e.prev, e.next = &l.root, l.root.next
	l.root.next.prev = e
	l.root.next = e
}

// add inserts e (replacing an entry of its key) and drops the least recently used
// entries while the total passes max.
func (l *lru) add(e *entry, max int64) {
	if old := l.items[e.key]; old != nil {
		l.remove(old)
	}
	l.items[e.key] = e
	e.sibling = l.changes[e.change]
	l.changes[e.change] = e
	l.pushFront(e)
	l.bytes += e.size
	for l.bytes > max && l.root.prev != &l.root {
		l.remove(l.root.prev)
	}
}

// remove drops e.
func (l *lru) remove(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(l.items, e.key)
	l.bytes -= e.size
	// Unlink e from its change key's chain (a few entries: one per client and host).
	for p := l.changes[e.change]; p != nil; p = p.sibling {
		if p == e {
			l.changes[e.change] = e.sibling
			break
		}
		if p.sibling == e {
			p.sibling = e.sibling
			break
		}
	}
	if l.changes[e.change] == nil {
		delete(l.changes, e.change)
	}
	e.sibling = nil
}

// dropChange drops every entry of a change key.
func (l *lru) dropChange(change string) {
	for e := l.changes[change]; e != nil; {
		next := e.sibling
		l.remove(e)
		e = next
	}
}

func (l *lru) clear() {
	clear(l.items)
	clear(l.changes)
	l.root.next, l.root.prev = &l.root, &l.root
	l.bytes = 0
}

func (l *lru) len() int { return len(l.items) }
