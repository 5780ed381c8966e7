package postgres

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hexauth/hexauth/domain"
)

// TestStore_Write_crossingSupersessions runs writes that each upsert one access token
// and delete the other's, from two goroutines at once. Unserialised, their
// transactions would lock the two rows in opposite orders and the server would abort
// one of each deadlocked pair: every write must still succeed.
func TestStore_Write_crossingSupersessions(t *testing.T) {
	s := OpenTestStore(t, Config{})
	base := sampleWrite("p", "h", "at")
	a, b := *base.AccessToken, *base.AccessToken
	a.Target, b.Target = "read", "write"
	writes := []domain.CacheWrite{
		{Partition: "p", AccessToken: &a, DeleteAccessTokens: [][6]string{b.KeyFields()}},
		{Partition: "p", AccessToken: &b, DeleteAccessTokens: [][6]string{a.KeyFields()}},
	}
	const rounds = 100
	var wg sync.WaitGroup
	for _, w := range writes {
		wg.Go(func() {
			for i := range rounds {
				if err := s.Write(t.Context(), w); err != nil {
					t.Errorf("Write #%d of %s = %v; want nil", i+1, w.AccessToken.Key(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := s.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	if err != nil || len(got.AccessTokens) != 1 {
		t.Errorf("Find after the writes = %d access tokens, %v; want exactly 1 (the last write's), nil", len(got.AccessTokens), err)
	}
}

func TestRetryable_codes(t *testing.T) {
	for _, c := range []struct {
		code string
		want bool
	}{{codeDeadlockDetected, true}, {codeSerializationFailure, true}, {"23505", false}, {"57P01", false}} {
		err := fmt.Errorf("upsert: %w", &pgconn.PgError{Code: c.code})
		if got := retryable(err); got != c.want {
			t.Errorf("retryable(SQLSTATE %s) = %v; want %v", c.code, got, c.want)
		}
	}
}

// TestStore_Write_refreshTokenTextOnly: refresh tokens are stored packed in bytea,
// which would hold any bytes, but the store accepts what it accepts for every other
// secret: text without NUL bytes. A refused write lands nothing, and the error names
// the column, never the secret.
func TestStore_Write_refreshTokenTextOnly(t *testing.T) {
	s := OpenTestStore(t, Config{})
	w := sampleWrite("p", "h", "ok")
	w.RefreshToken.Secret = "rt-\x00-\xff-secret"
	err := s.Write(t.Context(), w)
	if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), "refresh_tokens.secret") ||
		strings.Contains(err.Error(), "rt-") {
		t.Fatalf("Write(a refresh token with a NUL byte) = %v; want ErrInvalidInput naming refresh_tokens.secret, no secret quoted", err)
	}
	got, err := s.Find(t.Context(), domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	if n := len(got.AccessTokens) + len(got.RefreshTokens) + len(got.IDTokens) + len(got.Accounts); err != nil || n != 0 {
		t.Errorf("Find after the refused write = %d entries, %v; want none", n, err)
	}
}
