package webapp

import (
	"sync"
	"time"

	"github.com/hexauth/hexauth/app"
)

// maxSessions bounds the sessions kept in memory. At the bound a new sign-in first
// drops the expired sessions and, when none has expired, the one closest to expiry:
// signing its user out early is the safe side of being full.
const maxSessions = 100_000

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

// sessionStore is the application's sessions, in this process only: every instance
// behind one URL must see the same sessions, so a deployment of more than one instance
// keeps them in shared storage (a database table, Redis) with the same operations.
// It is safe for concurrent use.
type sessionStore struct {
	max int

	mu        sync.Mutex
	byID      map[string]session
	byAccount map[accountKey]map[string]struct{} // the ids of each account's sessions
}

func newSessionStore(max int) *sessionStore {
	return &sessionStore{max: max, byID: map[string]session{}, byAccount: map[accountKey]map[string]struct{}{}}
}

// add keeps a new session under id.
func (s *sessionStore) add(id string, sess session, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= s.max {
		s.makeRoomLocked(now)
	}
	s.byID[id] = sess
	k := keyOf(sess.tenant, sess.account)
	ids := s.byAccount[k]
	if ids == nil {
		ids = map[string]struct{}{}
		s.byAccount[k] = ids
	}
	ids[id] = struct{}{}
}

// makeRoomLocked drops every expired session, or the one closest to expiry when none
// has expired.
func (s *sessionStore) makeRoomLocked(now time.Time) {
	var oldest string
	var oldestExp time.Time
	dropped := false
	for id, sess := range s.byID {
		if !now.Before(sess.expires) {
			s.deleteLocked(id, sess)
			dropped = true
		} else if oldest == "" || sess.expires.Before(oldestExp) {
			oldest, oldestExp = id, sess.expires
		}
	}
	if !dropped && oldest != "" {
		s.deleteLocked(oldest, s.byID[oldest])
	}
}

// get returns tenant's session id while it lives. A session of another tenant is not
// found: ids are random, so this only guards against a mix-up.
func (s *sessionStore) get(tenant, id string, now time.Time) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[id]
	if !ok || sess.tenant != tenant {
		return session{}, false
	}
	if !now.Before(sess.expires) {
		s.deleteLocked(id, sess)
		return session{}, false
	}
	return sess, true
}

// end deletes session id, if it exists.
func (s *sessionStore) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.byID[id]; ok {
		s.deleteLocked(id, sess)
	}
}

// endAccount deletes every session of account in tenant (a sign-out removes the
// account's tokens, which all of them share).
func (s *sessionStore) endAccount(tenant string, account app.Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.byAccount[keyOf(tenant, account)] {
		s.deleteLocked(id, s.byID[id])
	}
}

func (s *sessionStore) deleteLocked(id string, sess session) {
	delete(s.byID, id)
	k := keyOf(sess.tenant, sess.account)
	if ids := s.byAccount[k]; ids != nil {
		delete(ids, id)
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
