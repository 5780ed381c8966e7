package postgres

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hexauth/hexauth/domain"
)

// hitOf is what FindHit must return for q: Find's entries less the refresh tokens, the
// app metadata and other clients' tokens.
func hitOf(t *testing.T, s *Store, q domain.CacheQuery) string {
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

// entriesJSON renders the entries FindHit returns, their secrets included, so that
// two reads compare field by field; no entries of a kind is null, however empty.
func entriesJSON(t *testing.T, e domain.CacheEntries) string {
	t.Helper()
	if len(e.AccessTokens) == 0 {
		e.AccessTokens = nil
	}
	if len(e.IDTokens) == 0 {
		e.IDTokens = nil
	}
	if len(e.Accounts) == 0 {
		e.Accounts = nil
	}
	type secrets struct{ AT, IDT []string }
	var sec secrets
	for _, at := range e.AccessTokens {
		sec.AT = append(sec.AT, string(at.Secret))
	}
	for _, idt := range e.IDTokens {
		sec.IDT = append(sec.IDT, string(idt.Secret))
	}
	b, err := json.Marshal(struct {
		AT  []domain.AccessToken
		IDT []domain.IDToken
		A   []domain.Account
		S   secrets
	}{e.AccessTokens, e.IDTokens, e.Accounts, sec})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// richWrite is sampleWrite with every field the narrow read returns set to a value of
// its own: ids in mixed case (stored beside their folded form), a key id, a refresh-on
// time, names, and extra fields on every entry.
func richWrite(partition, home string) domain.CacheWrite {
	w := sampleWrite(partition, home, "at-secret-rich")
	extra := func(v string) map[string]json.RawMessage {
		return map[string]json.RawMessage{"x_" + v: json.RawMessage(`{"n":[1,"two"]}`)}
	}
	at := w.AccessToken
	at.Environment, at.ClientID, at.Target = "Login.Example.COM", "Client-1", "Read Write.All"
	at.TokenType, at.KeyID = "pop", "kid-7"
	at.RefreshOn = at.CachedAt.Add(30 * time.Minute)
	at.ExtendedExpiresOn = at.ExpiresOn.Add(2 * time.Hour)
	at.Extra = extra("at")
	idt := w.IDToken
	idt.Environment, idt.ClientID, idt.Realm = "Login.Example.COM", "Client-1", "Realm-A"
	idt.Extra = extra("idt")
	acct := w.Account
	acct.Environment, acct.Realm = "Login.Example.COM", "Realm-A"
	acct.LocalAccountID, acct.Username, acct.Name = "oid-1", "Alice@Example.com", "Alice Liddell"
	acct.AuthorityType = domain.AuthorityTypeMSSTS
	acct.Extra = extra("acct")
	return w
}

// The narrow hit read returns every field of the entries exactly as Find does and as
// they were written: ids as written, times, names, extra, secrets.
func TestStore_FindHit_asFind(t *testing.T) {
	s := OpenTestStore(t, Config{})
	w := richWrite("p", "Alice.Tenant")
	other := sampleWrite("p", "Alice.Tenant", "other-client")
	other.AccessToken.ClientID, other.IDToken.ClientID = "client-2", "client-2"
	other.Account, other.AppMetadata, other.RefreshToken = nil, nil, nil
	for _, x := range []domain.CacheWrite{w, other} {
		if err := s.Write(t.Context(), x); err != nil {
			t.Fatalf("Write = %v", err)
		}
	}
	written := domain.CacheEntries{AccessTokens: []domain.AccessToken{*w.AccessToken}, IDTokens: []domain.IDToken{*w.IDToken},
		Accounts: []domain.Account{*w.Account}}
	// Every environment, then the entries' environment in another case: the filter
	// compares folded environments, not the environments as written.
	for _, envs := range [][]string{nil, {"LOGIN.example.com"}} {
		q := domain.CacheQuery{Partition: "p", HomeAccountID: "Alice.Tenant", ClientID: "CLIENT-1", Environments: envs}
		got, err := s.FindHit(t.Context(), q)
		if err != nil {
			t.Fatalf("FindHit(%v) = %v", envs, err)
		}
		if g, want := entriesJSON(t, got), hitOf(t, s, q); g != want {
			t.Errorf("FindHit(%v) =\n%s\nwant (Find's)\n%s", envs, g, want)
		}
		if g, want := entriesJSON(t, got), entriesJSON(t, written); g != want {
			t.Errorf("FindHit(%v) =\n%s\nwant the entries as written\n%s", envs, g, want)
		}
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "Alice.Tenant", ClientID: "CLIENT-1", Environments: []string{"login.other.example"}}
	if got, err := s.FindHit(t.Context(), q); err != nil || len(got.AccessTokens)+len(got.IDTokens)+len(got.Accounts) != 0 {
		t.Errorf("FindHit of another environment = %d/%d/%d access tokens/ID tokens/accounts, %v; want none, nil",
			len(got.AccessTokens), len(got.IDTokens), len(got.Accounts), err)
	}
}

// The narrow hit read joins an entry's short fields with the unit separator. A provider
// controls several of them (an OIDC subject, a name, a username, the granted scopes): a
// field holding the separator must not shift the others — a hit returns exactly what
// Find returns.
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
		{"home account id", func(w *domain.CacheWrite) {
			for _, h := range []*string{&w.AccessToken.HomeAccountID, &w.IDToken.HomeAccountID, &w.Account.HomeAccountID, &w.RefreshToken.HomeAccountID} {
				*h = "alice\x1fevil"
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := OpenTestStore(t, Config{})
			w := sampleWrite("p", "h", "sep")
			c.edit(&w)
			if err := s.Write(t.Context(), w); err != nil {
				t.Fatalf("Write = %v", err)
			}
			q := domain.CacheQuery{Partition: "p", HomeAccountID: w.Account.HomeAccountID, ClientID: "client-1"}
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
		})
	}
}

// A row the narrow read cannot decode is read again by the wide statement, which skips
// it as Find does and logs it without its secret; the sound rows are still served.
// Each case damages one row of a store of its own.
func TestStore_FindHit_corruptRowsAsFind(t *testing.T) {
	for _, c := range []struct{ name, table, set, log string }{
		{"access token extra not an object", "access_tokens", `extra = '[1, 2]'`, "extra is not a JSON object"},
		{"account extra not an object", "accounts", `extra = '"just a string"'`, "extra is not a JSON object"},
		{"ID token extra a number", "id_tokens", `extra = '42'`, "extra is not a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logged syncBuffer
			schema := SchemaForTest(t)
			s := OpenTestStore(t, Config{Schema: schema, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			w := sampleWrite("p", "h", "secret-corrupt")
			if err := s.Write(t.Context(), w); err != nil {
				t.Fatalf("Write = %v", err)
			}
			stmt := `UPDATE ` + pgx.Identifier{schema, c.table}.Sanitize() + ` SET ` + c.set
			if _, err := AdminDB(t, DSNForTest(t)).ExecContext(t.Context(), stmt); err != nil {
				t.Fatalf("corrupt the cache (%s): %v", stmt, err)
			}
			q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", ClientID: "client-1"}
			got, err := s.FindHit(t.Context(), q)
			if err != nil {
				t.Fatalf("FindHit with a corrupt row = %v; want nil (a miss)", err)
			}
			if g, want := entriesJSON(t, got), hitOf(t, s, q); g != want {
				t.Errorf("FindHit =\n%s\nwant (Find's)\n%s", g, want)
			}
			if n := len(got.AccessTokens) + len(got.IDTokens) + len(got.Accounts); n != 2 {
				t.Errorf("FindHit returned %d access tokens, %d ID tokens, %d accounts; want the 2 sound rows only",
					len(got.AccessTokens), len(got.IDTokens), len(got.Accounts))
			}
			log := logged.String()
			if !strings.Contains(log, "skipping a corrupt cache row") || !strings.Contains(log, c.log) {
				t.Errorf("log = %q; want the corrupt row reported (%q)", log, c.log)
			}
			if strings.Contains(log, "secret-corrupt") {
				t.Errorf("log = %q; want no token in it", log)
			}
		})
	}
}
