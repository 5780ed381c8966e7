package sqlcache

import (
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// rowOf returns a Row holding vals, by column.
func rowOf(vals map[Column]any) Row {
	var r Row
	for c, v := range vals {
		r.cells[c].v = v
	}
	return r
}

// goodRow returns a well-formed row of kind k: text "v" and time 1_900_000_000 in
// every column the kind has.
func goodRow(k Kind) Row {
	text := map[Kind][]Column{
		KindAccessToken:  {ColKey, ColHomeAccountID, ColEnvironment, ColClientID, ColRealm, ColTarget, ColSecret, ColTokenType, ColKeyID},
		KindRefreshToken: {ColKey, ColHomeAccountID, ColEnvironment, ColClientID, ColFamilyID, ColRealm, ColTarget, ColSecret},
		KindIDToken:      {ColKey, ColHomeAccountID, ColEnvironment, ColClientID, ColRealm, ColSecret},
		KindAccount: {ColKey, ColHomeAccountID, ColEnvironment, ColRealm, ColLocalAccountID, ColUsername, ColName,
			ColAuthorityType},
		KindAppMetadata: {ColKey, ColClientID, ColEnvironment, ColFamilyID},
	}
	times := map[Kind][]Column{
		KindAccessToken:  {ColCachedAt, ColExpiresOn, ColExtendedExpiresOn, ColRefreshOn},
		KindRefreshToken: {ColCachedAt},
	}
	vals := map[Column]any{ColKind: int64(k)}
	for _, c := range text[k] {
		vals[c] = "v"
	}
	for _, c := range times[k] {
		vals[c] = int64(1_900_000_000)
	}
	return rowOf(vals)
}

func TestRow_AppendTo_wellFormed(t *testing.T) {
	tests := []struct {
		kind Kind
		got  func(s domain.CacheSnapshot) int
	}{
		{KindAccessToken, func(s domain.CacheSnapshot) int { return len(s.AccessTokens) }},
		{KindRefreshToken, func(s domain.CacheSnapshot) int { return len(s.RefreshTokens) }},
		{KindIDToken, func(s domain.CacheSnapshot) int { return len(s.IDTokens) }},
		{KindAccount, func(s domain.CacheSnapshot) int { return len(s.Accounts) }},
		{KindAppMetadata, func(s domain.CacheSnapshot) int { return len(s.AppMetadata) }},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			r := goodRow(tt.kind)
			var snap domain.CacheSnapshot
			if err := r.AppendTo(&snap, ExtraCodec{}); err != nil || tt.got(snap) != 1 || snap.Len() != 1 {
				t.Fatalf("AppendTo = %v with %d entries (%d of its kind); want nil, 1 (1)", err, snap.Len(), tt.got(snap))
			}
			if r.Kind() != tt.kind || r.Key() != "v" {
				t.Errorf("Kind(), Key() = %v, %q; want %v, %q", r.Kind(), r.Key(), tt.kind, "v")
			}
		})
	}
}

func TestRow_AppendTo_corruptCells(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		col   Column
		v     any
		codec ExtraCodec
		want  string
	}{
		{"NULL secret", KindAccessToken, ColSecret, nil, ExtraCodec{}, "column secret is NULL"},
		{"refresh token packed wrong", KindRefreshToken, ColSecretPacked, "\x05ab", ExtraCodec{}, "column secret_packed is not a packed secret"},
		{"refresh token packed as a number", KindRefreshToken, ColSecretPacked, int64(5), ExtraCodec{}, "column secret_packed holds a int64; want text"},
		{"NULL expiry", KindAccessToken, ColExpiresOn, nil, ExtraCodec{}, "column expires_on is NULL"},
		{"text time", KindRefreshToken, ColCachedAt, "soon", ExtraCodec{}, "column cached_at holds a string; want an integer"},
		{"real time", KindAccessToken, ColRefreshOn, 1.5, ExtraCodec{}, "column refresh_on holds a float64; want an integer"},
		{"integer target", KindAccessToken, ColTarget, int64(7), ExtraCodec{}, "column target holds a int64; want text"},
		{"NULL username", KindAccount, ColUsername, nil, ExtraCodec{}, "column username is NULL"},
		{"NULL family id", KindAppMetadata, ColFamilyID, nil, ExtraCodec{}, "column family_id is NULL"},
		{"NULL realm", KindIDToken, ColRealm, nil, ExtraCodec{}, "column realm is NULL"},
		{"extra not an object", KindAccessToken, ColExtra, "[1]", ExtraCodec{}, "extra is not a JSON object"},
		{"extra not UTF-8", KindAccount, ColExtra, "{\"a\":\"\xff\"}", ExtraCodec{ValidUTF8: true}, "extra is not valid UTF-8"},
		{"extra not text", KindAccessToken, ColExtra, int64(1), ExtraCodec{}, "column extra holds a int64; want JSON text"},
		{"unknown kind", KindAccessToken, ColKind, int64(9), ExtraCodec{}, "unknown entry kind 9"},
		{"NULL kind", KindAccessToken, ColKind, nil, ExtraCodec{}, "column kind is NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRow(tt.kind)
			r.cells[tt.col].v = tt.v
			var snap domain.CacheSnapshot
			err := r.AppendTo(&snap, tt.codec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("AppendTo = %v; want an error containing %q", err, tt.want)
			}
			if snap.Len() != 0 {
				t.Errorf("AppendTo of a corrupt row added %d entries; want 0", snap.Len())
			}
		})
	}
}

func TestRow_AppendTo_firstProblemNamed(t *testing.T) {
	r := goodRow(KindAccessToken)
	r.cells[ColHomeAccountID].v = nil
	r.cells[ColSecret].v = int64(3)
	var snap domain.CacheSnapshot
	if err := r.AppendTo(&snap, ExtraCodec{}); err == nil || err.Error() != "column home_account_id is NULL" {
		t.Errorf("AppendTo = %v; want the first problem, column home_account_id is NULL", err)
	}
}

func TestRow_AppendTo_keepsEntryValues(t *testing.T) {
	r := rowOf(map[Column]any{ColKind: int64(KindRefreshToken), ColKey: "k", ColHomeAccountID: "uid.utid",
		ColEnvironment: "login.example.com", ColClientID: "c", ColFamilyID: "1", ColRealm: "realms/a", ColTarget: "",
		ColSecret: "rt-secret", ColCachedAt: int64(1_700_000_000), ColExtra: `{"x": 1}`})
	var snap domain.CacheSnapshot
	if err := r.AppendTo(&snap, ExtraCodec{}); err != nil || len(snap.RefreshTokens) != 1 {
		t.Fatalf("AppendTo = %v with %d refresh tokens; want nil, 1", err, len(snap.RefreshTokens))
	}
	got := snap.RefreshTokens[0]
	if got.HomeAccountID != "uid.utid" || got.Environment != "login.example.com" || got.ClientID != "c" || got.FamilyID != "1" ||
		got.Secret != "rt-secret" || got.CachedAt.Unix() != 1_700_000_000 || string(got.Extra["x"]) != " 1" {
		t.Errorf("AppendTo decoded %+v; want the row's values", got)
	}
}

func TestRow_Kind_Key_unreadable(t *testing.T) {
	r := rowOf(map[Column]any{ColKind: "one", ColKey: int64(2)})
	if r.Kind() != 0 || r.Key() != "" {
		t.Errorf("Kind(), Key() of unreadable cells = %v, %q; want 0, \"\"", r.Kind(), r.Key())
	}
}

func TestCell_Scan(t *testing.T) {
	tests := []struct {
		name string
		src  any
		want any
	}{
		{"bytes read as text", []byte("blob"), "blob"},
		{"text", "t", "t"},
		{"integer", int64(3), int64(3)},
		{"NULL", nil, nil},
	}
	for _, tt := range tests {
		var c cell
		if err := c.Scan(tt.src); err != nil || c.v != tt.want {
			t.Errorf("%s: Scan(%#v) = %v, holding %#v; want nil, %#v", tt.name, tt.src, err, c.v, tt.want)
		}
	}
	b := []byte("reused")
	var c cell
	_ = c.Scan(b)
	b[0] = 'X'
	if c.v != "reused" {
		t.Errorf("Scan kept the driver's buffer: got %#v after it changed; want \"reused\"", c.v)
	}
}

func TestRow_Dest_pointsAtCells(t *testing.T) {
	var r Row
	d := r.Dest()
	if len(d) != int(NumColumns) {
		t.Fatalf("len(Dest()) = %d; want %d", len(d), NumColumns)
	}
	_ = d[ColEnvironment].(*cell).Scan("env")
	if r.Value(ColEnvironment) != "env" {
		t.Errorf("Value(ColEnvironment) after scanning into Dest = %#v; want \"env\"", r.Value(ColEnvironment))
	}
}
