package sqlite

import (
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// goodAccessTokenRow returns the cells of a well-formed access-token row.
func goodAccessTokenRow() entryRow {
	var r entryRow
	set := func(col int, v any) { r[col].v = v }
	set(colKind, int64(kindAccessToken))
	for _, c := range []int{colKey, colHomeAccountID, colEnvironment, colClientID, colRealm, colTarget, colSecret, colTokenType, colKeyID} {
		set(c, "v")
	}
	for _, c := range []int{colCachedAt, colExpiresOn, colExtendedExpiresOn, colRefreshOn} {
		set(c, int64(1_900_000_000))
	}
	return r
}

func TestEntryRow_addTo_corruptCells(t *testing.T) {
	for _, c := range []struct {
		name string
		col  int
		v    any
		want string
	}{
		{"NULL secret", colSecret, nil, "column secret is NULL"},
		{"NULL expiry", colExpiresOn, nil, "column expires_on is NULL"},
		{"text time", colCachedAt, "soon", "column cached_at holds a string; want an integer"},
		{"real time", colRefreshOn, 1.5, "column refresh_on holds a float64; want an integer"},
		{"integer target", colTarget, int64(7), "column target holds a int64; want text"},
		{"extra not an object", colExtra, "[1]", "extra is not a JSON object"},
		{"extra not text", colExtra, int64(1), "column extra holds a int64; want JSON text"},
		{"unknown kind", colKind, int64(9), "unknown entry kind 9"},
		{"NULL kind", colKind, nil, "column kind is NULL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := goodAccessTokenRow()
			r[c.col].v = c.v
			var snap domain.CacheSnapshot
			err := r.addTo(&snap)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("addTo = %v; want an error containing %q", err, c.want)
			}
			if snap.Len() != 0 {
				t.Errorf("addTo of a corrupt row added %d entries; want 0", snap.Len())
			}
		})
	}
}

func TestEntryRow_addTo_wellFormed(t *testing.T) {
	r := goodAccessTokenRow()
	var snap domain.CacheSnapshot
	if err := r.addTo(&snap); err != nil || len(snap.AccessTokens) != 1 {
		t.Fatalf("addTo = %v with %d access tokens; want nil, 1", err, len(snap.AccessTokens))
	}
	var c cell
	if err := c.Scan([]byte("blob")); err != nil || c.v != "blob" {
		t.Errorf("cell.Scan([]byte) = %v, %#v; want nil, the text", err, c.v)
	}
}
