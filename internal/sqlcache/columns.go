package sqlcache

import "fmt"

// Kind is the kind of a cache entry, as the union queries return it in their first
// column: each adapter's SELECT of a table starts with the table's kind as a literal.
type Kind int

// The entry kinds, numbered as the adapters' union queries number them.
const (
	KindAccessToken Kind = 1 + iota
	KindRefreshToken
	KindIDToken
	KindAccount
	KindAppMetadata
	// KindForeignSection is a foreign section (domain.ForeignSection): its name in the
	// key column, its value in the extra column, every other column NULL.
	KindForeignSection
)

// kindNames name the kinds in log lines and errors.
var kindNames = map[Kind]string{
	KindAccessToken: "access token", KindRefreshToken: "refresh token", KindIDToken: "ID token",
	KindAccount: "account", KindAppMetadata: "app metadata", KindForeignSection: "foreign section",
}

// String returns the kind's name ("access token"), or "kind N" for a number that is
// not a kind.
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind %d", int(k))
}

// Column is a column of the union of the five cache tables, whose SELECTs return these
// columns in this order, NULL for those a kind lacks.
type Column int

// The columns of the union queries, in order.
const (
	ColKind Column = iota
	ColKey
	ColHomeAccountID
	ColEnvironment
	ColClientID
	ColRealm
	ColTarget
	ColSecret
	ColTokenType
	ColFamilyID
	ColKeyID
	ColLocalAccountID
	ColUsername
	ColName
	ColAuthorityType
	ColCachedAt
	ColExpiresOn
	ColExtendedExpiresOn
	ColRefreshOn
	ColExtra
	// ColSecretPacked is a refresh token's secret as secretpack.Pack packed it; NULL for
	// rows written before refresh tokens were packed, whose secret is in ColSecret.
	ColSecretPacked
	// NumColumns is the number of columns of the union queries.
	NumColumns
)

// columnNames name the columns in the errors about corrupt rows.
var columnNames = [NumColumns]string{
	"kind", "key", "home_account_id", "environment", "client_id", "realm", "target", "secret",
	"token_type", "family_id", "key_id", "local_account_id", "username", "name", "authority_type",
	"cached_at", "expires_on", "extended_expires_on", "refresh_on", "extra", "secret_packed",
}

// String returns the column's SQL name ("home_account_id"), or "column N" for a
// number that is not a column.
func (c Column) String() string {
	if c >= 0 && c < NumColumns {
		return columnNames[c]
	}
	return fmt.Sprintf("column %d", int(c))
}
