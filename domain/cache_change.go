package domain

import (
	"crypto/sha256"
	"encoding/hex"
)

// ChangeKeyLen is the length of a ChangeKey: 32 hexadecimal digits.
const ChangeKeyLen = 32

// ChangeKey names the entries of one account in one partition in a change
// notification: the first 128 bits of SHA-256 over the partition and the folded home
// account id (FoldHomeAccountID), in hexadecimal. It is compact and fixed in size
// whatever the partition holds (quotes, unicode, kilobytes), and says nothing readable
// about the account, so it may travel where the partition and the account id must
// not (a Postgres NOTIFY payload, a log line).
func ChangeKey(partition, homeAccountID string) string {
	h := sha256.New()
	// The partition's length first, so that ("a\x00", "b") and ("a", "\x00b") differ.
	var n [8]byte
	for i, l := 0, uint64(len(partition)); i < 8; i++ {
		n[i] = byte(l >> (8 * i))
	}
	h.Write(n[:])
	h.Write([]byte(partition))
	h.Write([]byte(FoldHomeAccountID(homeAccountID)))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:ChangeKeyLen/2])
}

// ChangedAccounts returns the home account ids whose entries w may change, once each,
// or all=true when w may change entries it does not name: an access token it
// supersedes whose key is not of the written access token's account and host.
func (w CacheWrite) ChangedAccounts() (accounts []string, all bool) {
	add := func(id string) {
		for _, a := range accounts {
			if SameHomeAccountID(a, id) {
				return
			}
		}
		accounts = append(accounts, id)
	}
	if w.AccessToken != nil {
		add(w.AccessToken.HomeAccountID)
	}
	if w.RefreshToken != nil {
		add(w.RefreshToken.HomeAccountID)
	}
	if w.IDToken != nil {
		add(w.IDToken.HomeAccountID)
	}
	if w.Account != nil {
		add(w.Account.HomeAccountID)
	}
	// Supersession deletes access tokens of the written token's account; a deletion
	// naming another account's token (a caller's own write) may change any account.
	if len(w.DeleteAccessTokens) > 0 {
		if w.AccessToken == nil {
			return nil, true
		}
		home := FoldHomeAccountID(w.AccessToken.HomeAccountID)
		for _, f := range w.DeleteAccessTokens {
			if f[1] != home {
				return nil, true
			}
		}
	}
	return accounts, false
}

// ChangeKind says what a ChangeEvent reports.
type ChangeKind int

// The kinds of ChangeEvent.
const (
	// ChangeListening: the session listens; what happened before is unknown.
	ChangeListening ChangeKind = iota + 1
	// ChangeAlive: the session proved again that notifications reach it (one sent from
	// another session arrived); no notification was lost before it.
	ChangeAlive
	// ChangeCommitted: a transaction committed a change.
	ChangeCommitted
)

// ChangeEvent is one event of a change-listening session (ports.ChangeListener).
type ChangeEvent struct {
	Kind ChangeKind
	// Key, for ChangeCommitted, is the ChangeKey of the partition and account
	// whose entries changed; empty means any entry may have changed.
	Key string
}
