package sqlcache

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// causeOf returns the message of err's cause when err is a *domain.Error of class
// ErrCacheStore, and "" otherwise.
func causeOf(t *testing.T, err error) string {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Class != domain.ErrCacheStore || de.Err == nil {
		return ""
	}
	return de.Err.Error()
}

func TestErrors_Store(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	classified := &domain.Error{Class: domain.ErrCacheStore, Err: errors.New("postgres: find: earlier")}
	driverErr := errors.New("disk I/O error")
	redact := func(err error) error { return errors.New(strings.ReplaceAll(err.Error(), "tok-123", "[redacted]")) }
	tests := []struct {
		name     string
		e        Errors
		ctx      context.Context
		err      error
		wantMsg  string // "" for a nil result
		wantSame bool   // the error returned as it is
		wantIs   []error
	}{
		{"nil", Errors{Prefix: "sqlite"}, context.Background(), nil, "", false, nil},
		{"driver error", Errors{Prefix: "sqlite"}, context.Background(), driverErr, "sqlite: write: disk I/O error", false,
			[]error{domain.ErrCacheStore, driverErr}},
		{"already classified", Errors{Prefix: "sqlite"}, context.Background(), classified, "postgres: find: earlier", true, nil},
		{"closed database", Errors{Prefix: "sqlite"}, context.Background(), errors.New("sql: database is closed"),
			"sqlite: write: store is closed", false, []error{ErrClosed, domain.ErrCacheStore}},
		{"closed statement", Errors{Prefix: "sqlite"}, context.Background(), errors.New("sql: statement is closed"),
			"sqlite: write: store is closed", false, []error{ErrClosed}},
		{"context done", Errors{Prefix: "postgres"}, cancelled, driverErr, "postgres: write: context canceled: disk I/O error", false,
			[]error{context.Canceled, driverErr, domain.ErrCacheStore}},
		{"context error itself", Errors{Prefix: "postgres"}, cancelled, context.Canceled, "postgres: write: context canceled", false,
			[]error{context.Canceled}},
		{"sanitized", Errors{Prefix: "postgres", Sanitize: redact}, context.Background(), errors.New("row (tok-123)"),
			"postgres: write: row ([redacted])", false, []error{domain.ErrCacheStore}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.e.Store(tt.ctx, "write", tt.err)
			if tt.wantMsg == "" {
				if got != nil {
					t.Errorf("Store(nil) = %v; want nil", got)
				}
				return
			}
			if msg := causeOf(t, got); msg != tt.wantMsg {
				t.Fatalf("Store(%v) = %v, cause %q; want a *domain.Error of class ErrCacheStore, cause %q", tt.err, got, msg, tt.wantMsg)
			}
			if tt.wantSame && got != tt.err {
				t.Errorf("Store(%v) = %#v; want the same error", tt.err, got)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(got, target) {
					t.Errorf("errors.Is(%v, %v) = false; want true", got, target)
				}
			}
		})
	}
}

func TestErrors_Input(t *testing.T) {
	cause := errors.New(`access token 0: extra field "k" is not valid JSON`)
	got := Errors{Prefix: "sqlite"}.Input("import", cause)
	want := "sqlite: import: " + domain.ErrInvalidInput.Error() + `: access token 0: extra field "k" is not valid JSON`
	if msg := causeOf(t, got); msg != want {
		t.Errorf("Input = %v, cause %q; want a *domain.Error of class ErrCacheStore, cause %q", got, msg, want)
	}
	for _, target := range []error{domain.ErrCacheStore, domain.ErrInvalidInput, cause} {
		if !errors.Is(got, target) {
			t.Errorf("errors.Is(%v, %v) = false; want true", got, target)
		}
	}
}
