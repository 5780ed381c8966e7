package postgres

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestSanitize_dropsServerDetail(t *testing.T) {
	secret := "eyJ0eXAi.secret-token"
	in := &pgconn.PgError{Severity: "ERROR", Code: "23502", Message: `null value in column "x" violates not-null constraint`,
		Detail: "Failing row contains (p, k, " + secret + ").", Where: "SQL statement " + secret, Hint: secret}
	got := sanitize(in)
	var pgErr *pgconn.PgError
	if !errors.As(got, &pgErr) || pgErr.Code != "23502" {
		t.Fatalf("sanitize(%v) = %v; want a *pgconn.PgError with code 23502", in, got)
	}
	if strings.Contains(pgErr.Detail+pgErr.Where+pgErr.Hint+got.Error(), secret) {
		t.Errorf("sanitize kept the row values: %+v; want detail, where and hint dropped", pgErr)
	}
}

func TestStoreError_sanitizes(t *testing.T) {
	secret := "eyJ0eXAi.secret-token"
	in := &pgconn.PgError{Severity: "ERROR", Code: "23505", Message: "duplicate key", Detail: "Key (k)=(" + secret + ")"}
	got := storeError(t.Context(), "write", in)
	var pgErr *pgconn.PgError
	if !errors.As(got, &pgErr) || pgErr.Code != "23505" || !strings.HasPrefix(errors.Unwrap(got).Error(), "postgres: write: ") {
		t.Fatalf("storeError(%v) = %v; want a postgres: write: error wrapping the server error", in, got)
	}
	if pgErr.Detail != "" || strings.Contains(got.Error(), secret) {
		t.Errorf("storeError kept the server detail: %v; want it dropped", got)
	}
}
