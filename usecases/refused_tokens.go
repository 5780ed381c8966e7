package usecases

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// A refresh token the provider refused is never presented again by this engine (DESIGN
// §3 "Silent acquisition" step 5). DESIGN allows compare-and-delete in the store or a
// short refusal memory; this is the memory, in process. The store port has no
// conditional delete, and a read followed by a delete could remove a token another
// process has just rotated in. A token the store replaced has another secret, so it is
// not remembered and is presented; a new process may present a refused token once more.

// refusalWindow is how long a refused refresh token is not presented again. It is short
// because the memory is only there to stop every silent call from repeating a refusal;
// the user signs in again meanwhile, which caches a new token.
const refusalWindow = 5 * time.Minute

// refusals remembers refused refresh tokens by refusalKey, never by their secret, for
// refusalWindow. The zero value is ready to use; it is safe for concurrent use. One is
// shared by a Silent flow and its InPartition copies (the key names the partition).
type refusals struct{ timedMemory[refusal] }

// refusal is what the provider said when it refused the token, kept to explain later
// calls; it holds no secret.
type refusal struct {
	code     string
	subError string
	status   int
}

// refusalKey identifies a refresh token presented for one request in a partition: a
// SHA-256 of the partition and the request (each length-prefixed, so that no two
// triples collide) and the secret.
//
// request names what was asked (the authority, the scopes, the claims): a refusal answers
// a request, and a token refused for one tenant or scope (a guest tenant that removed
// the user, a scope the user may not consent to) still works for another.
func refusalKey(partition string, secret domain.Secret, request string) [sha256.Size]byte {
	h := sha256.New()
	for _, part := range []string{partition, request} {
		h.Write(binary.AppendUvarint(nil, uint64(len(part))))
		h.Write([]byte(part))
	}
	h.Write([]byte(secret))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// remember records that the provider refused the token of key at now with err.
func (r *refusals) remember(key [sha256.Size]byte, now time.Time, err *domain.Error) {
	r.timedMemory.remember(key, now, now.Add(refusalWindow), refusal{code: err.Code, subError: err.SubError, status: err.HTTPStatus})
}

// refused returns the refusal of the token of key when it is still inside its window.
func (r *refusals) refused(key [sha256.Size]byte, now time.Time) (refusal, bool) {
	return r.recall(key, now)
}

// asError is what a silent call gets instead of presenting the refused token again: the
// class and the provider's code of the first refusal (so errors.Is answers as it did
// then), with no HTTPStatus, since nothing was sent this time.
func (e refusal) asError(correlationID string) *domain.Error {
	earlier := "earlier"
	if e.status != 0 {
		earlier += " (HTTP " + strconv.Itoa(e.status) + ")"
	}
	return &domain.Error{
		Class: domain.ErrInteractionRequired, Code: e.code, SubError: e.subError, Op: "silent", CorrelationID: correlationID,
		Description: "the cached refresh token was refused " + earlier + " and is not presented again; sign in again",
	}
}
