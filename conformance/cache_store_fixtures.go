package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// base is the time fixtures are cached at: whole seconds, as stores keep them.
var base = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// who names one account of the fixtures: where it lives and which client it used.
type who struct {
	partition, home, env, realm, client, username string
}

func (a who) account() domain.Account {
	return domain.Account{
		HomeAccountID: a.home, Environment: a.env, Realm: a.realm, LocalAccountID: "local-" + a.home,
		Username: a.username, Name: "Name of " + a.home, AuthorityType: domain.AuthorityTypeMSSTS,
	}
}

func (a who) accessToken(target, tag string) domain.AccessToken {
	return domain.AccessToken{
		HomeAccountID: a.home, Environment: a.env, ClientID: a.client, Realm: a.realm, Target: target,
		Secret: domain.Secret("at-" + tag), TokenType: "Bearer", CachedAt: base,
		ExpiresOn: base.Add(time.Hour), ExtendedExpiresOn: base.Add(2 * time.Hour), RefreshOn: base.Add(30 * time.Minute),
	}
}

func (a who) refreshToken(tag string, cachedAt time.Time) domain.RefreshToken {
	return domain.RefreshToken{
		HomeAccountID: a.home, Environment: a.env, ClientID: a.client, Target: "read write",
		Secret: domain.Secret("rt-" + tag), CachedAt: cachedAt,
	}
}

func (a who) idToken(tag string) domain.IDToken {
	return domain.IDToken{HomeAccountID: a.home, Environment: a.env, ClientID: a.client, Realm: a.realm, Secret: domain.Secret("idt-" + tag)}
}

func (a who) appMetadata() domain.AppMetadata {
	return domain.AppMetadata{ClientID: a.client, Environment: a.env, FamilyID: "1"}
}

// write returns a token response's worth of entries for a: one of each kind.
func (a who) write(tag string) domain.CacheWrite {
	at, rt, idt, acct, md := a.accessToken("read write", tag), a.refreshToken(tag, base), a.idToken(tag), a.account(), a.appMetadata()
	return domain.CacheWrite{Partition: a.partition, AccessToken: &at, RefreshToken: &rt, IDToken: &idt, Account: &acct, AppMetadata: &md}
}

// query returns the Find query of a's entries in every environment.
func (a who) query() domain.CacheQuery {
	return domain.CacheQuery{Partition: a.partition, HomeAccountID: a.home, ClientID: a.client}
}

// snapshotOf returns the entries of w as a snapshot.
func snapshotOf(ws ...domain.CacheWrite) domain.CacheSnapshot {
	var s domain.CacheSnapshot
	for _, w := range ws {
		if w.AccessToken != nil {
			s.AccessTokens = append(s.AccessTokens, *w.AccessToken)
		}
		if w.RefreshToken != nil {
			s.RefreshTokens = append(s.RefreshTokens, *w.RefreshToken)
		}
		if w.IDToken != nil {
			s.IDTokens = append(s.IDTokens, *w.IDToken)
		}
		if w.Account != nil {
			s.Accounts = append(s.Accounts, *w.Account)
		}
		if w.AppMetadata != nil {
			s.AppMetadata = append(s.AppMetadata, *w.AppMetadata)
		}
	}
	return s
}

// entriesOf returns the entries of w as Find would return them.
func entriesOf(ws ...domain.CacheWrite) domain.CacheEntries {
	s := snapshotOf(ws...)
	return domain.CacheEntries{AccessTokens: s.AccessTokens, RefreshTokens: s.RefreshTokens, IDTokens: s.IDTokens, Accounts: s.Accounts, AppMetadata: s.AppMetadata}
}

// describeWrite shows a write by its keys; secrets never appear.
func describeWrite(w domain.CacheWrite) string {
	var parts []string
	add := func(kind string, present bool, key func() string) {
		if present {
			parts = append(parts, kind+":"+key())
		}
	}
	add("AccessToken", w.AccessToken != nil, func() string { return w.AccessToken.Key() })
	add("RefreshToken", w.RefreshToken != nil, func() string { return w.RefreshToken.Key() })
	add("IDToken", w.IDToken != nil, func() string { return w.IDToken.Key() })
	add("Account", w.Account != nil, func() string { return w.Account.Key() })
	add("AppMetadata", w.AppMetadata != nil, func() string { return w.AppMetadata.Key() })
	if len(w.DeleteAccessTokens) > 0 {
		parts = append(parts, fmt.Sprintf("DeleteAccessTokens:%q", w.DeleteAccessTokens))
	}
	return fmt.Sprintf("{Partition:%q %s}", w.Partition, strings.Join(parts, " "))
}

// describeSnapshot shows a snapshot by its size.
func describeSnapshot(s domain.CacheSnapshot) string {
	return fmt.Sprintf("{%d access, %d refresh, %d ID tokens, %d accounts, %d app metadata}",
		len(s.AccessTokens), len(s.RefreshTokens), len(s.IDTokens), len(s.Accounts), len(s.AppMetadata))
}

// diffEntry compares two entries of the same kind field by field under the store
// contract: strings exactly, times at second precision (zero stays zero), Extra byte
// for byte (nil and empty alike). It returns one line per differing field.
func diffEntry(got, want any) []string {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	var diffs []string
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		same := false
		switch w := w.(type) {
		case time.Time:
			g := g.(time.Time)
			same = g.IsZero() == w.IsZero() && (w.IsZero() || g.Unix() == w.Unix())
		case map[string]json.RawMessage:
			g := g.(map[string]json.RawMessage)
			same = len(g) == len(w)
			for k, wb := range w {
				gb, ok := g[k]
				same = same && ok && bytes.Equal(gb, wb)
			}
		default:
			same = reflect.DeepEqual(g, w)
		}
		if !same {
			diffs = append(diffs, fmt.Sprintf("%s: got %s; want %s", name, show(g), show(w)))
		}
	}
	return diffs
}

// show formats a field value for a failure message, abbreviating secrets.
func show(v any) string {
	switch v := v.(type) {
	case domain.Secret:
		if len(v) > 24 {
			return fmt.Sprintf("%d-byte secret %q…", len(v), string(v[:24]))
		}
		return fmt.Sprintf("secret %q", string(v))
	case time.Time:
		if v.IsZero() {
			return "zero time"
		}
		return v.UTC().Format(time.RFC3339Nano)
	case map[string]json.RawMessage:
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range v {
				if !yield(k) {
					return
				}
			}
		})
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%q:%q ", k, v[k])
		}
		return "{" + strings.TrimSpace(b.String()) + "}"
	}
	return fmt.Sprintf("%q", fmt.Sprint(v))
}

// keyer is an entry of the unified cache: entries are one entry when their KeyFields
// are equal (their keys may collide); Key names them in messages.
type keyer interface {
	Key() string
	KeyFields() [6]string
}

// sameEntries reports, through t, every difference between the entries got and want
// of one kind, matched by KeyFields in any order. call names the call that returned got.
func sameEntries[E keyer](t *testing.T, call, kind string, got, want []E) {
	t.Helper()
	byID := map[[6]string]E{}
	for _, g := range got {
		if _, dup := byID[g.KeyFields()]; dup {
			t.Errorf("%s returned %s %s twice; want each entry once", call, kind, g.Key())
		}
		byID[g.KeyFields()] = g
	}
	for _, w := range want {
		g, ok := byID[w.KeyFields()]
		if !ok {
			t.Errorf("%s is missing %s %s (fields %q)", call, kind, w.Key(), w.KeyFields())
			continue
		}
		delete(byID, w.KeyFields())
		for _, d := range diffEntry(g, w) {
			t.Errorf("%s returned %s %s with %s", call, kind, w.Key(), d)
		}
	}
	for _, g := range byID {
		t.Errorf("%s returned unexpected %s %s (fields %q)", call, kind, g.Key(), g.KeyFields())
	}
}

// sameFound checks Find's result against want, every kind.
func sameFound(t *testing.T, call string, got, want domain.CacheEntries) {
	t.Helper()
	sameEntries(t, call, "access token", got.AccessTokens, want.AccessTokens)
	sameEntries(t, call, "refresh token", got.RefreshTokens, want.RefreshTokens)
	sameEntries(t, call, "ID token", got.IDTokens, want.IDTokens)
	sameEntries(t, call, "account", got.Accounts, want.Accounts)
	sameEntries(t, call, "app metadata", got.AppMetadata, want.AppMetadata)
}

// sameSnapshot checks a snapshot against want, every kind, in any order.
func sameSnapshot(t *testing.T, call string, got, want domain.CacheSnapshot) {
	t.Helper()
	sameFound(t, call, got.Entries(), want.Entries())
	sameForeignSections(t, call, got.ForeignSections, want.ForeignSections)
}

// sameForeignSections checks that got holds want's sections, sorted by name (as Export
// returns them), each value byte for byte. Values are never printed: they may hold a
// writer's secrets.
func sameForeignSections(t *testing.T, call string, got, want []domain.ForeignSection) {
	t.Helper()
	want = slices.Clone(want)
	slices.SortFunc(want, func(a, b domain.ForeignSection) int { return strings.Compare(a.Name, b.Name) })
	names := func(fs []domain.ForeignSection) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	if !slices.Equal(names(got), names(want)) {
		t.Errorf("%s: foreign sections %q; want %q, sorted by name", call, names(got), names(want))
		return
	}
	for i := range want {
		if !bytes.Equal(got[i].Value, want[i].Value) {
			t.Errorf("%s: foreign section %q: value differs from the one imported (%d bytes; want %d), want it byte for byte",
				call, want[i].Name, len(got[i].Value), len(want[i].Value))
		}
	}
}
