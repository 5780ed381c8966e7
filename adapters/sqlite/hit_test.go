package sqlite_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
)

// hitOf is what FindHit must return for q: Find's entries less the refresh tokens, the
// app metadata and other clients' tokens.
func hitOf(t *testing.T, s *sqlite.Store, q domain.CacheQuery) string {
	t.Helper()
	all, err := s.Find(t.Context(), q)
	if err != nil {
		t.Fatalf("Find = %v", err)
	}
	want := domain.CacheEntries{Accounts: all.Accounts}
	for _, at := range all.AccessTokens {
		if strings.EqualFold(at.ClientID, q.ClientID) {
			want.AccessTokens = append(want.AccessTokens, at)
		}
	}
	for _, idt := range all.IDTokens {
		if strings.EqualFold(idt.ClientID, q.ClientID) {
			want.IDTokens = append(want.IDTokens, idt)
		}
	}
	return entriesJSON(t, want)
}

func entriesJSON(t *testing.T, e domain.CacheEntries) string {
	t.Helper()
	b, err := json.Marshal(struct {
		AT  []domain.AccessToken
		IDT []domain.IDToken
		A   []domain.Account
	}{e.AccessTokens, e.IDTokens, e.Accounts})
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), `"Secret":"[REDACTED]"`, "") // secrets compared below
}

// The narrow hit read joins an entry's short fields with the unit separator. A provider
// controls several of them (an OIDC subject, a name, a username, the granted scopes): a
// field holding the separator must not shift the others — a hit returns exactly what
// Find returns. Each case puts separators in one kind only, so that no other row sends
// the read to the wide statement first.
func TestStore_FindHit_separatorInFields(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(w *domain.CacheWrite)
	}{
		{"account name and username", func(w *domain.CacheWrite) {
			w.Account.Name, w.Account.Username = "Alice\x1fMSSTS", "alice\x1f@example.com"
		}},
		{"ID token realm", func(w *domain.CacheWrite) { w.IDToken.Realm = "realms/a\x1fx" }},
		{"access token target", func(w *domain.CacheWrite) { w.AccessToken.Target = "read\x1fwrite" }},
		// The secret and extra share the row's text with the fields: a separator in the
		// secret, even one followed by what reads as an extra, must not shift them.
		{"access token secret", func(w *domain.CacheWrite) {
			w.AccessToken.Secret = "at\x1f=" + `{"x":1}`
			w.AccessToken.Extra = map[string]json.RawMessage{"kept": json.RawMessage(`"yes"`)}
		}},
		{"ID token secret", func(w *domain.CacheWrite) { w.IDToken.Secret = "a.b\x1f\x1fc" }},
		{"home account id", func(w *domain.CacheWrite) {
			for _, h := range []*string{&w.AccessToken.HomeAccountID, &w.IDToken.HomeAccountID, &w.Account.HomeAccountID, &w.RefreshToken.HomeAccountID} {
				*h = "alice\x1fevil"
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := openStore(t, sqlite.Config{Path: filepath.Join(t.TempDir(), "tokens.db")})
			w := fullWrite("p", "h", "sep")
			c.edit(&w)
			if err := s.Write(t.Context(), w); err != nil {
				t.Fatalf("Write = %v", err)
			}
			q := query("p", w.Account.HomeAccountID)
			got, err := s.FindHit(t.Context(), q)
			if err != nil {
				t.Fatalf("FindHit = %v", err)
			}
			if g, want := entriesJSON(t, got), hitOf(t, s, q); g != want {
				t.Errorf("FindHit with separators in fields =\n%s\nwant (Find's)\n%s", g, want)
			}
			written := domain.CacheEntries{AccessTokens: []domain.AccessToken{*w.AccessToken}, IDTokens: []domain.IDToken{*w.IDToken},
				Accounts: []domain.Account{*w.Account}}
			if g, want := entriesJSON(t, got), entriesJSON(t, written); g != want {
				t.Errorf("FindHit =\n%s\nwant the entries as written\n%s", g, want)
			}
			if len(got.AccessTokens) != 1 || got.AccessTokens[0].Secret != w.AccessToken.Secret || len(got.IDTokens) != 1 || got.IDTokens[0].Secret != w.IDToken.Secret {
				t.Errorf("FindHit's secrets differ from those written")
			}
		})
	}
}

// A row the narrow read cannot decode is read again by the wide statement, which skips
// it as Find does and logs it; the sound rows are still served. Each case damages one
// row of a store of its own, so that no other damaged row sends the read wide first.
func TestStore_FindHit_corruptRowsAsFind(t *testing.T) {
	for _, c := range []struct{ name, update, log string }{
		{"time not an integer", `UPDATE access_tokens SET expires_on = 'soon' WHERE partition = 'p'`, "column expires_on holds a string"},
		{"extra not an object", `UPDATE accounts SET extra = '[1]' WHERE partition = 'p'`, "extra is not a JSON object"},
		// The narrow read tells an empty extra from a NULL one (no extra fields).
		{"extra empty", `UPDATE accounts SET extra = '' WHERE partition = 'p'`, "extra is not a JSON object"},
		{"separator in extra", `UPDATE access_tokens SET extra = '{"a":"' || char(31) || '"}' WHERE partition = 'p'`,
			"extra is not a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.db")
			logger, logs := newLogger()
			s := openStore(t, sqlite.Config{Path: path, Logger: logger})
			if err := s.Write(t.Context(), fullWrite("p", "h", "corrupt")); err != nil {
				t.Fatalf("Write = %v", err)
			}
			mustExec(t, rawDB(t, path), c.update)
			got, err := s.FindHit(t.Context(), query("p", "h"))
			if err != nil {
				t.Fatalf("FindHit with a corrupt row = %v; want nil (a miss)", err)
			}
			if g, want := entriesJSON(t, got), hitOf(t, s, query("p", "h")); g != want {
				t.Errorf("FindHit =\n%s\nwant (Find's)\n%s", g, want)
			}
			if len(got.IDTokens) != 1 || len(got.AccessTokens)+len(got.Accounts) != 1 {
				t.Errorf("FindHit returned %d access tokens, %d ID tokens, %d accounts; want the sound rows only",
					len(got.AccessTokens), len(got.IDTokens), len(got.Accounts))
			}
			if !strings.Contains(logs.String(), c.log) {
				t.Errorf("log does not mention %q:\n%s", c.log, logs.String())
			}
		})
	}
}
