package nearcache_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/domain"
)

// The near key lowers the client id and the environments while it copies them: it
// must be the key strings.ToLower would give, for ASCII in any case and for non-ASCII,
// so that two spellings of one query share an entry and two queries never do.
func TestAppendQueryKey_lowersAsStringsToLower(t *testing.T) {
	field := func(v string) string { return strconv.Itoa(len(v)) + ":" + v }
	for _, q := range []domain.CacheQuery{
		{Partition: "p", HomeAccountID: "Alice", ClientID: "04B07795-8DDB-461a-BBEE-02F9E1BF7B46",
			Environments: []string{"Login.MicrosoftOnline.COM", "login.windows.net", "@[\\]^_`{|}~"}},
		{Partition: "P", HomeAccountID: "bob", ClientID: "Client-É", Environments: []string{"HÔST.example", "host.example"}},
		{ClientID: "K\u212aelvin", Environments: nil}, // the Kelvin sign lowers to an ASCII k
	} {
		want := field(q.Partition) + field(domain.FoldHomeAccountID(q.HomeAccountID)) + field(strings.ToLower(q.ClientID))
		for _, e := range q.Environments {
			want += field(strings.ToLower(e))
		}
		if got := string(nearcache.AppendQueryKeyForTest(nil, q)); got != want {
			t.Errorf("appendQueryKey(%+v) = %q; want %q", q, got, want)
		}
	}
}

// Every byte value at every position of an 8-byte word and of the tail: the key keeps
// v as it is exactly when strings.ToLower would.
func TestAppendQueryKey_everyByteEveryPosition(t *testing.T) {
	base := []byte("login.microsoftonline.com")
	for c := 0; c < 256; c++ {
		for pos := 0; pos < len(base); pos++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			q := domain.CacheQuery{ClientID: string(b[:pos+1]), Environments: []string{string(b), string(b[pos:])}}
			want := "0:0:" + strconv.Itoa(len(strings.ToLower(q.ClientID))) + ":" + strings.ToLower(q.ClientID)
			for _, e := range q.Environments {
				want += strconv.Itoa(len(strings.ToLower(e))) + ":" + strings.ToLower(e)
			}
			if got := string(nearcache.AppendQueryKeyForTest(nil, q)); got != want {
				t.Fatalf("appendQueryKey(%q) = %q; want %q", q.Environments, got, want)
			}
		}
	}
}
