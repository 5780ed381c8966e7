package memory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// storeNew returns a new Store closed at the end of the test.
func storeNew(t testing.TB) *memory.Store {
	t.Helper()
	s, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatalf("NewStore(StoreConfig{}) = %v; want nil error", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore_Conformance(t *testing.T) {
	conformance.TestCacheStore(t, conformance.Features{}, func(t *testing.T) ports.CacheStore { return storeNew(t) })
}

func TestStore_HitReader(t *testing.T) {
	conformance.TestHitReader(t, func(t *testing.T) ports.CacheStore { return storeNew(t) })
}

// storeAccount is one account's worth of entries in partition p.
func storeAccount(p, home, username string) domain.CacheWrite {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	at := domain.AccessToken{HomeAccountID: home, Environment: "login.example.com", ClientID: "c", Realm: "r", Target: "read", Secret: "at-secret", CachedAt: now, ExpiresOn: now.Add(time.Hour),
		Extra: map[string]json.RawMessage{"x": json.RawMessage(`{"a":1}`)}}
	rt := domain.RefreshToken{HomeAccountID: home, Environment: "login.example.com", ClientID: "c", Secret: "rt-secret", CachedAt: now}
	idt := domain.IDToken{HomeAccountID: home, Environment: "login.example.com", ClientID: "c", Realm: "r", Secret: "idt-secret"}
	acct := domain.Account{HomeAccountID: home, Environment: "login.example.com", Realm: "r", Username: username,
		Extra: map[string]json.RawMessage{"y": json.RawMessage(`[1]`)}}
	return domain.CacheWrite{Partition: p, AccessToken: &at, RefreshToken: &rt, IDToken: &idt, Account: &acct}
}

func TestStore_Write_callerValuesStayTheCallers(t *testing.T) {
	s := storeNew(t)
	w := storeAccount("p", "h", "u@x")
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	w.AccessToken.Extra["x"][1] = '!'
	w.AccessToken.Extra["new"] = json.RawMessage(`2`)
	w.Account.Extra["y"] = json.RawMessage(`[2]`)
	got, err := s.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	if err != nil || len(got.AccessTokens) != 1 || len(got.Accounts) != 1 {
		t.Fatalf("Find = %d access tokens, %d accounts, %v; want 1, 1, nil", len(got.AccessTokens), len(got.Accounts), err)
	}
	if x := string(got.AccessTokens[0].Extra["x"]); x != `{"a":1}` || len(got.AccessTokens[0].Extra) != 1 {
		t.Errorf("stored access token Extra = %q (%d fields) after the caller changed its own map; want {\"a\":1} (1 field)", x, len(got.AccessTokens[0].Extra))
	}
	if y := string(got.Accounts[0].Extra["y"]); y != `[1]` {
		t.Errorf("stored account Extra y = %q after the caller changed its own map; want [1]", y)
	}
}

func TestStore_Find_resultsAreCopies(t *testing.T) {
	s := storeNew(t)
	if err := s.Write(t.Context(), storeAccount("p", "h", "u@x")); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	q := domain.CacheQuery{Partition: "p", HomeAccountID: "h"}
	first, _ := s.Find(t.Context(), q)
	first.AccessTokens[0].Extra["x"][0] = '['
	first.AccessTokens[0].Secret = "changed"
	first.Accounts[0].Extra["z"] = json.RawMessage(`3`)
	second, _ := s.Find(t.Context(), q)
	if x := string(second.AccessTokens[0].Extra["x"]); x != `{"a":1}` {
		t.Errorf("Find after changing a returned Extra = %q; want {\"a\":1}", x)
	}
	if second.AccessTokens[0].Secret != "at-secret" || len(second.Accounts[0].Extra) != 1 {
		t.Errorf("Find after changing returned entries = secret changed %v, account Extra of %d fields; want unchanged, 1",
			second.AccessTokens[0].Secret != "at-secret", len(second.Accounts[0].Extra))
	}
}

func TestStore_Close_twice(t *testing.T) {
	s := storeNew(t)
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close() call %d = %v; want nil", i+1, err)
		}
	}
	err := s.Write(t.Context(), storeAccount("p", "h", "u@x"))
	if !errors.Is(err, domain.ErrCacheStore) || !strings.HasPrefix(err.Error(), "hexauth: memory: write: ") || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close = %v; want a memory: write error of class ErrCacheStore saying the store is closed", err)
	}
}

func TestStore_NewStore_zeroConfig(t *testing.T) {
	if err := (memory.StoreConfig{}).Validate(); err != nil {
		t.Errorf("StoreConfig{}.Validate() = %v; want nil", err)
	}
	s, err := memory.NewStore(memory.StoreConfig{Logger: slog.New(slog.DiscardHandler)})
	if err != nil || s == nil {
		t.Fatalf("NewStore(with a logger) = %v, %v; want a store, nil", s, err)
	}
	_ = s.Close()
}

func TestStore_methods_nilContext(t *testing.T) {
	s := storeNew(t)
	var ctx context.Context // a caller's bug: it must be an error, not a panic
	_, err := s.Find(ctx, domain.CacheQuery{})
	if !errors.Is(err, domain.ErrCacheStore) {
		t.Errorf("Find(nil ctx) = %v; want an ErrCacheStore error", err)
	}
	err = s.WithRefreshLock(ctx, domain.RefreshLockKey{}, func(context.Context) error { return nil })
	if !errors.Is(err, domain.ErrCacheStore) {
		t.Errorf("WithRefreshLock(nil ctx) = %v; want an ErrCacheStore error", err)
	}
}

func TestStore_WithRefreshLock_nilFunc(t *testing.T) {
	s := storeNew(t)
	err := s.WithRefreshLock(t.Context(), domain.RefreshLockKey{}, nil)
	if !errors.Is(err, domain.ErrCacheStore) || !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("WithRefreshLock(nil fn) = %v; want ErrCacheStore wrapping ErrInvalidInput", err)
	}
}

func TestStore_Write_invalidExtra(t *testing.T) {
	s := storeNew(t)
	w := storeAccount("p", "h", "u@x")
	w.RefreshToken.Extra = map[string]json.RawMessage{"bad": json.RawMessage(`{"secret-looking": "rt-value`)}
	err := s.Write(t.Context(), w)
	if !errors.Is(err, domain.ErrCacheStore) || !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Write(refresh token Extra not JSON) = %v; want ErrCacheStore wrapping ErrInvalidInput", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `"bad"`) || strings.Contains(msg, "rt-value") || strings.Contains(msg, "secret") {
		t.Errorf("Write error = %q; want it to name the field \"bad\" and quote no value or secret", msg)
	}
}

func TestStore_Find_homeAccountIDCaseAsItsKindSays(t *testing.T) {
	const entra = "9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47"
	s := storeNew(t)
	for _, home := range []string{entra, "Alice"} {
		if err := s.Write(t.Context(), storeAccount("p", home, "u@x")); err != nil {
			t.Fatalf("Write = %v; want nil", err)
		}
	}
	got, err := s.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: strings.ToLower(entra)})
	if err != nil || len(got.AccessTokens) != 1 {
		t.Errorf("Find(Entra id in lower case) = %d access tokens, %v; want 1, nil (uid.utid match in any case)", len(got.AccessTokens), err)
	}
	got, err = s.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "alice"})
	if err != nil || len(got.AccessTokens)+len(got.Accounts) != 0 {
		t.Errorf("Find(alice) = %+v, %v; want nothing (subject Alice is another person)", got, err)
	}
}

func TestStore_Write_timesTruncatedToTheSecond(t *testing.T) {
	s := storeNew(t)
	w := storeAccount("p", "h", "u@x")
	w.AccessToken.ExpiresOn = time.Date(2031, 1, 2, 3, 4, 5, 999_999_999, time.UTC)
	if err := s.Write(t.Context(), w); err != nil {
		t.Fatalf("Write = %v; want nil", err)
	}
	got, _ := s.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	want := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	if len(got.AccessTokens) != 1 || !got.AccessTokens[0].ExpiresOn.Equal(want) {
		t.Errorf("Find returned ExpiresOn %v; want %v (truncated to the second)", got.AccessTokens, want)
	}
}

func TestStore_Write_logsNoSecret(t *testing.T) {
	var buf bytes.Buffer
	s, err := memory.NewStore(memory.StoreConfig{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("NewStore = %v; want nil", err)
	}
	defer s.Close()
	newer := storeAccount("p", "h", "u@x")
	newer.RefreshToken.CachedAt = newer.RefreshToken.CachedAt.Add(time.Hour)
	older := storeAccount("p", "h", "u@x")
	older.RefreshToken.Secret = "older-rt-secret"
	for _, w := range []domain.CacheWrite{newer, older} {
		if err := s.Write(t.Context(), w); err != nil {
			t.Fatalf("Write = %v; want nil", err)
		}
	}
	if log := buf.String(); !strings.Contains(log, "kept a newer refresh token") || strings.Contains(log, "secret") {
		t.Errorf("log = %q; want a note that the newer refresh token was kept, without secrets", log)
	}
}
