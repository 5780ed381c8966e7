package sqlcache

import "testing"

func TestKind_String(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{
		{KindAccessToken, "access token"},
		{KindRefreshToken, "refresh token"},
		{KindIDToken, "ID token"},
		{KindAccount, "account"},
		{KindAppMetadata, "app metadata"},
		{0, "kind 0"},
		{9, "kind 9"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q; want %q", int(tt.k), got, tt.want)
		}
	}
}

func TestKind_numbersOfTheUnionQueries(t *testing.T) {
	// The adapters' SQL numbers the kinds with literals: the numbers must not move.
	for k, want := range map[Kind]int{KindAccessToken: 1, KindRefreshToken: 2, KindIDToken: 3, KindAccount: 4, KindAppMetadata: 5} {
		if int(k) != want {
			t.Errorf("%v = %d; want %d", k, int(k), want)
		}
	}
}

func TestColumn_String(t *testing.T) {
	tests := []struct {
		c    Column
		want string
	}{
		{ColKind, "kind"},
		{ColHomeAccountID, "home_account_id"},
		{ColSecret, "secret"},
		{ColAuthorityType, "authority_type"},
		{ColExtendedExpiresOn, "extended_expires_on"},
		{ColExtra, "extra"},
		{ColSecretPacked, "secret_packed"},
		{NumColumns, "column 21"},
		{-1, "column -1"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Column(%d).String() = %q; want %q", int(tt.c), got, tt.want)
		}
	}
}
