package postgres_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/domain"
)

const validDSN = "postgres://app:s3cret-pw@db.example.com:5432/tokens?sslmode=verify-full"

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     postgres.Config
		wantErr string // substring; "" for no error
	}{
		{"minimal", postgres.Config{DSN: validDSN}, ""},
		{"key value DSN", postgres.Config{DSN: "host=127.0.0.1 user=postgres dbname=test"}, ""},
		{"every field", postgres.Config{DSN: validDSN, Schema: "Tenant_42", MaxOpenConns: 5, MaxIdleConns: 2, MaxLockConns: 3}, ""},
		{"empty DSN", postgres.Config{}, "DSN is empty"},
		{"blank DSN", postgres.Config{DSN: "  "}, "DSN is empty"},
		{"unparsable DSN", postgres.Config{DSN: "postgres://app:s3cret-pw@db.example.com:notaport/x"}, "not a valid PostgreSQL connection string"},
		{"schema with a quote", postgres.Config{DSN: validDSN, Schema: `x"; DROP TABLE y; --`}, "is not an identifier"},
		{"schema with a dot", postgres.Config{DSN: validDSN, Schema: "a.b"}, "is not an identifier"},
		{"schema starting with a digit", postgres.Config{DSN: validDSN, Schema: "1abc"}, "is not an identifier"},
		{"schema too long", postgres.Config{DSN: validDSN, Schema: strings.Repeat("a", 64)}, "is not an identifier"},
		{"reserved schema", postgres.Config{DSN: validDSN, Schema: "pg_tokens"}, "reserved"},
		{"negative MaxOpenConns", postgres.Config{DSN: validDSN, MaxOpenConns: -1}, "MaxOpenConns is negative"},
		{"negative MaxIdleConns", postgres.Config{DSN: validDSN, MaxIdleConns: -1}, "MaxIdleConns is negative"},
		{"negative MaxLockConns", postgres.Config{DSN: validDSN, MaxLockConns: -2}, "MaxLockConns is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v; want an error containing %q", err, tt.wantErr)
			}
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("Validate() = %v; want class domain.ErrInvalidInput", err)
			}
			if !strings.Contains(err.Error(), "postgres: config: ") {
				t.Errorf("Validate() = %q; want it prefixed with %q", err, "postgres: config: ")
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("Validate() = %q; want no password in it", err)
			}
		})
	}
}

func TestConfig_String_redactsDSN(t *testing.T) {
	cfg := postgres.Config{DSN: validDSN, Schema: "tokens"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", cfg)
	for name, got := range map[string]string{
		"String": cfg.String(), "%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg),
		"%#v": fmt.Sprintf("%#v", cfg), "slog": logged.String(),
	} {
		if strings.Contains(got, "s3cret-pw") || strings.Contains(got, "db.example.com") {
			t.Errorf("%s = %q; want the DSN redacted", name, got)
		}
		if !strings.Contains(got, "tokens") {
			t.Errorf("%s = %q; want the schema shown", name, got)
		}
	}
}

func TestOpen_invalidConfig(t *testing.T) {
	s, err := postgres.Open(t.Context(), postgres.Config{DSN: validDSN, Schema: "no-dashes"})
	if s != nil || !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("Open(bad schema) = %v, %v; want nil, an ErrInvalidInput error", s, err)
	}
}

func TestOpen_unreachableServer(t *testing.T) {
	// Port 1 on loopback refuses connections: Open must fail fast and cleanly.
	s, err := postgres.Open(t.Context(), postgres.Config{DSN: "postgres://u:s3cret-pw@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"})
	if s != nil || err == nil {
		t.Fatalf("Open(unreachable) = %v, %v; want nil, an error", s, err)
	}
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrCacheStore) {
		t.Errorf("Open(unreachable) = %v; want a *domain.Error of class ErrCacheStore", err)
	}
	if !strings.Contains(err.Error(), "postgres: open: ") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("Open(unreachable) = %q; want it prefixed with %q and without the password", err, "postgres: open: ")
	}
}
