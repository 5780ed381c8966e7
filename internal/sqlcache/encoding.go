package sqlcache

import (
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// zeroUnix is the Unix time of time.Time{}: the zero time is stored as this value and
// read back as time.Time{}, so that "no refresh_on" survives a round trip and still
// orders before every real time.
var zeroUnix = time.Time{}.Unix()

// FromUnix decodes a time stored as t.Unix() (second precision), in UTC; the value
// time.Time{}.Unix() decodes as the zero time.
func FromUnix(s int64) time.Time {
	if s == zeroUnix {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// Fold is the case folding of the *_folded columns of client ids and environments:
// that of cache keys, so that ids stored in any case match. Home account ids fold as
// FoldHome.
func Fold(s string) string { return strings.ToLower(s) }

// FoldHome is the folding of home_account_id_folded: domain.FoldHomeAccountID, under
// which Entra ids match in any case and OIDC subjects match exactly.
func FoldHome(s string) string { return domain.FoldHomeAccountID(s) }

// FoldEnvironments returns the folded environments a filter on envs must accept: each
// with its aliases (domain.ExpandEnvironments), never nil, so that a host matches its
// aliases on every path (DESIGN §3). An empty envs gives an empty list: every
// environment.
func FoldEnvironments(envs []string) []string {
	out := domain.ExpandEnvironments(envs)
	if out == nil {
		return []string{}
	}
	return out
}

// CanonicalEnvironmentSQL returns an SQL expression, valid in SQLite and PostgreSQL,
// whose value is the canonical host (domain.CanonicalEnvironment) of the folded
// environment in column: comparing two such expressions compares clouds, not hosts.
// The hosts are constants of package domain, not input.
func CanonicalEnvironmentSQL(column string) string {
	var b strings.Builder
	b.WriteString("(CASE " + column)
	for _, g := range domain.EnvironmentAliasGroups() {
		for _, h := range g[1:] {
			b.WriteString(" WHEN '" + h + "' THEN '" + g[0] + "'")
		}
	}
	b.WriteString(" ELSE " + column + " END)")
	return b.String()
}
