package webapp

import (
	"container/list"
	"sync"
	"time"

	"github.com/hexauth/hexauth/app"
)

// maxSessions bounds the sessions kept in memory. A new sign-in first drops the expired
// sessions and, when the store is still full, the one closest to expiry: signing its
// user out early is the safe side of being full.
const maxSessions = 100_000

// maxSessionsPerAccount bounds one account's sessions in a tenant: past it, a new sign-in
// drops that account's oldest session, so that one user signing in again and again
// (dropping the cookie each time) pushes out their own sessions, not everyone's.
const maxSessionsPerAccount = 32

// session is the server-side half of a session: the account a sign-in signed in. The
// cookie only carries the session's id, so a session ends for every copy of its cookie
// the moment its id is deleted here.
type session struct {
	tenant  string
	account app.Account
	expires time.Time
}

// accountKey names an account in a tenant, to find all of its sessions at sign-out.
type accountKey struct{ tenant, homeAccountID, environment string }

func keyOf(tenant string, a app.Account) accountKey {
	return accountKey{tenant: tenant, homeAccountID: a.HomeAccountID, environment: a.Environment}
}

// storedSession is a session in the store's order.
type storedSession struct {
	id string
	session
}

// sessionStore is the application's sessions, in this process only: every instance
// behind one URL must see the same sessions, so a deployment of more than one instance
// keeps them in shared storage (a database table, Redis) with the same operations.
// Every operation is O(1) (endAccount: per session of the account). It is safe for
// concurrent use.
type sessionStore struct {
	max int

	mu   sync.Mutex
	byID map[string]*list.Element // of storedSession
	// order holds the sessions oldest first. All sessions live for the same
	// SessionLifetime, so it is also their order of expiry: the expired, and the one
	// closest to expiry, are at the front.
	order     *list.List
	byAccount map[accountKey]map[string]struct{} // the ids of each account's sessions
}

func newSessionStore(max int) *sessionStore {
	return &sessionStore{max: max, byID: map[string]*list.Element{}, order: list.New(), byAccount: map[accountKey]map[string]struct{}{}}
}

// add keeps a new session under id.
func (s *sessionStore) add(id string, sess session, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for e := s.order.Front(); e != nil && !now.Before(e.Value.(storedSession).expires); e = s.order.Front() {
		s.deleteLocked(e)
	}
	k := keyOf(sess.tenant, sess.account)
	if ids := s.byAccount[k]; len(ids) >= maxSessionsPerAccount {
		s.deleteLocked(s.oldestLocked(ids))
	}
	if len(s.byID) >= s.max {
		s.deleteLocked(s.order.Front())
	}
	s.byID[id] = s.order.PushBack(storedSession{id: id, session: sess})
	ids := s.byAccount[k]
	if ids == nil {
		ids = map[string]struct{}{}
		s.byAccount[k] = ids
	}
	ids[id] = struct{}{}
}

// get returns tenant's session id while it lives. A session of another tenant is not
// found: ids are random, so this only guards against a mix-up.
func (s *sessionStore) get(tenant, id string, now time.Time) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return session{}, false
	}
	sess := e.Value.(storedSession).session
	if sess.tenant != tenant {
		return session{}, false
	}
	if !now.Before(sess.expires) {
		s.deleteLocked(e)
		return session{}, false
	}
	return sess, true
}

// end deletes session id, if it exists.
func (s *sessionStore) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[id]; ok {
		s.deleteLocked(e)
	}
}

// endAccount deletes every session of account in tenant (a sign-out removes the
// account's tokens, which all of them share).
func (s *sessionStore) endAccount(tenant string, account app.Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.byAccount[keyOf(tenant, account)] {
		s.deleteLocked(s.byID[id])
	}
}

// oldestLocked returns the element of the session among ids that expires first (they
// all live as long: the oldest). ids is not empty.
func (s *sessionStore) oldestLocked(ids map[string]struct{}) *list.Element {
	var oldest *list.Element
	for id := range ids {
		e := s.byID[id]
		if oldest == nil || e.Value.(storedSession).expires.Before(oldest.Value.(storedSession).expires) {
			oldest = e
		}
	}
	return oldest
}

func (s *sessionStore) deleteLocked(e *list.Element) {
	ss := s.order.Remove(e).(storedSession)
	delete(s.byID, ss.id)
	k := keyOf(ss.tenant, ss.account)
	if ids := s.byAccount[k]; ids != nil {
		delete(ids, ss.id)
		if len(ids) == 0 {
			delete(s.byAccount, k)
		}
	}
}

// len returns how many sessions are kept, expired ones not yet dropped included.
func (s *sessionStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
