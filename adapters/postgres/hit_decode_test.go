package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// hitRowOf returns a sound narrow row of kind ('1', '3' or '4') as the server sends it,
// times in binary (bin) or text form.
func hitRowOf(kind byte, bin bool) [][]byte {
	raw := make([][]byte, hitColumns)
	raw[hitKind], raw[hitEnvFold] = []byte{kind}, []byte("login.example.com")
	raw[hitHome], raw[hitEnv], raw[hitRealm] = []byte("Alice.Tenant"), []byte("Login.Example.COM"), []byte("realm-a")
	raw[hitExtraCol] = []byte(`{"x_extra":1}`)
	switch kind {
	case '1':
		raw[hitClient], raw[hitTarget], raw[hitType], raw[hitKeyID] = []byte("Client-1"), []byte("read write"), []byte("Bearer"), []byte("")
		raw[hitSecret] = []byte("at-secret")
		for i, t := range []int64{1700000000, 1700003600, 1700007200, -62135596800} {
			if bin {
				raw[hitTimes+i] = binary.BigEndian.AppendUint64(nil, uint64(t))
			} else {
				raw[hitTimes+i] = []byte(strconv.FormatInt(t, 10))
			}
		}
	case '3':
		raw[hitClient], raw[hitSecret] = []byte("Client-1"), []byte("idt-secret")
	case '4':
		raw[hitClient], raw[hitTarget], raw[hitType], raw[hitKeyID] = []byte("oid-1"), []byte("Alice@Example.com"), []byte("Alice"), []byte("MSSTS")
	}
	return raw
}

// The narrow read decodes a sound row of each kind, its times in either format, and
// leaves NULL the columns a kind lacks.
func TestDecodeHitRow_soundRows(t *testing.T) {
	for _, bin := range []bool{true, false} {
		var out domain.CacheEntries
		for _, kind := range []byte("134") {
			if err := decodeHitRow(&out, hitRowOf(kind, bin), bin, nil); err != nil {
				t.Fatalf("decodeHitRow(kind %c, binary times %v) = %v; want nil", kind, bin, err)
			}
		}
		if len(out.AccessTokens) != 1 || len(out.IDTokens) != 1 || len(out.Accounts) != 1 {
			t.Fatalf("decoded %d/%d/%d access tokens/ID tokens/accounts; want 1/1/1", len(out.AccessTokens), len(out.IDTokens), len(out.Accounts))
		}
		at, idt, acct := out.AccessTokens[0], out.IDTokens[0], out.Accounts[0]
		want := time.Unix(1700003600, 0).UTC()
		if at.ExpiresOn != want || !at.RefreshOn.IsZero() || at.ClientID != "Client-1" || at.Target != "read write" || string(at.Secret) != "at-secret" {
			t.Errorf("binary times %v: access token = %+v (expires %v); want the row's fields, expiring %v, no refresh-on", bin, at, at.ExpiresOn, want)
		}
		if idt.HomeAccountID != "Alice.Tenant" || idt.Environment != "Login.Example.COM" || string(idt.Secret) != "idt-secret" || idt.Realm != "realm-a" {
			t.Errorf("ID token = %+v; want the row's fields", idt)
		}
		if acct.LocalAccountID != "oid-1" || acct.Username != "Alice@Example.com" || acct.Name != "Alice" || acct.AuthorityType != "MSSTS" || len(acct.Extra) != 1 {
			t.Errorf("account = %+v; want the row's fields", acct)
		}
	}
}

// A row of another environment is skipped, not refused.
func TestDecodeHitRow_otherEnvironment(t *testing.T) {
	var out domain.CacheEntries
	if err := decodeHitRow(&out, hitRowOf('1', true), true, []string{"login.other.example"}); err != nil || len(out.AccessTokens) != 0 {
		t.Errorf("decodeHitRow of another environment = %d access tokens, %v; want 0, nil", len(out.AccessTokens), err)
	}
}

// Every row the narrow read cannot decode exactly as Find would sends the read to the
// wide statement (errNarrow): never a panic, never a half-decoded entry.
func TestDecodeHitRow_givesUp(t *testing.T) {
	type edit struct {
		name string
		kind byte
		bin  bool
		f    func(raw [][]byte) [][]byte
	}
	null := func(col int) func([][]byte) [][]byte {
		return func(raw [][]byte) [][]byte { raw[col] = nil; return raw }
	}
	set := func(col int, v string) func([][]byte) [][]byte {
		return func(raw [][]byte) [][]byte { raw[col] = []byte(v); return raw }
	}
	cases := []edit{
		{"a column missing", '1', true, func(raw [][]byte) [][]byte { return raw[:hitColumns-1] }},
		{"an unknown kind", '1', true, set(hitKind, "2")},
		{"an empty kind", '1', true, set(hitKind, "")},
		{"a NULL kind", '3', true, null(hitKind)},
		{"a NULL folded environment", '4', true, null(hitEnvFold)},
		{"an extra that is not an object", '3', true, set(hitExtraCol, `[1]`)},
		{"a binary time of seven bytes", '1', true, set(hitTimes+1, "1234567")},
		{"a NULL binary time", '1', true, null(hitTimes + 3)},
		{"a text time that is not a number", '1', false, set(hitTimes, "17e8")},
		{"a NULL text time", '1', false, null(hitTimes + 2)},
	}
	needs := map[byte][]int{
		'1': {hitHome, hitEnv, hitClient, hitRealm, hitTarget, hitType, hitKeyID, hitSecret},
		'3': {hitHome, hitEnv, hitClient, hitRealm, hitSecret},
		'4': {hitHome, hitEnv, hitClient, hitRealm, hitTarget, hitType, hitKeyID},
	}
	for _, kind := range []byte("134") {
		for _, col := range needs[kind] {
			cases = append(cases, edit{fmt.Sprintf("kind %c, a NULL in column %d", kind, col), kind, true, null(col)})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := domain.CacheEntries{}
			err := decodeHitRow(&out, c.f(hitRowOf(c.kind, c.bin)), c.bin, nil)
			if !errors.Is(err, errNarrow) {
				t.Errorf("decodeHitRow = %v; want errNarrow", err)
			}
			if n := len(out.AccessTokens) + len(out.IDTokens) + len(out.Accounts); n != 0 {
				t.Errorf("decodeHitRow appended %d entries; want none", n)
			}
		})
	}
}

// Rows with every field set (richWrite) are served by the narrow read: one message to
// the server, no fallback to the wide statement.
func TestStore_FindHit_richRowsOneRoundTrip(t *testing.T) {
	var writes atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &writes}, nil
	}
	s := openTestStore(t, Config{MaxOpenConns: 1}, dial)
	if err := s.Write(t.Context(), richWrite("p", "Alice.Tenant")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "Alice.Tenant", ClientID: "CLIENT-1"}
	for i := range 2 { // the first prepares the statement
		before := writes.Load()
		got, err := s.FindHit(t.Context(), q)
		if err != nil || len(got.AccessTokens) != 1 || len(got.IDTokens) != 1 || len(got.Accounts) != 1 {
			t.Fatalf("FindHit = %d/%d/%d access tokens/ID tokens/accounts, %v; want 1/1/1, nil",
				len(got.AccessTokens), len(got.IDTokens), len(got.Accounts), err)
		}
		if n := writes.Load() - before; i == 1 && n != 1 {
			t.Errorf("FindHit sent %d messages to the server; want 1 (the narrow read alone)", n)
		}
	}
}
