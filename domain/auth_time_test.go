package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// OIDC Core 3.1.3.7 item 13, with max_age 10 minutes and the default skew (5 minutes):
// auth_time is required, may be up to 15 minutes old, and must not lie in the future
// beyond the skew (it would satisfy any max_age).
func TestIDTokenClaims_Check_authTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	maxAge := 10 * time.Minute
	for _, c := range []struct {
		name     string
		authTime time.Time
		maxAge   *time.Duration
		want     error
	}{
		{"fresh", now.Add(-time.Minute), &maxAge, nil},
		{"at the bound", now.Add(-15 * time.Minute), &maxAge, nil},
		{"past the bound", now.Add(-15*time.Minute - time.Second), &maxAge, domain.ErrInvalidIDToken},
		{"missing", time.Time{}, &maxAge, domain.ErrInvalidIDToken},
		{"in the future", now.Add(6 * time.Minute), &maxAge, domain.ErrInvalidIDToken},
		{"missing, no max_age", time.Time{}, nil, nil},
		{"old, no max_age", now.Add(-48 * time.Hour), nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			claims := domain.IDTokenClaims{Issuer: "https://idp.example", Subject: "alice", Audience: []string{"app"},
				Expiry: now.Add(time.Hour), AuthTime: c.authTime}
			err := claims.Check(domain.IDTokenExpectations{Issuer: "https://idp.example", ClientID: "app", Now: now, MaxAge: c.maxAge})
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Check = %v; want %v", err, c.want)
			}
			if c.authTime.IsZero() && c.maxAge != nil && !strings.Contains(err.Error(), "no auth_time") {
				t.Fatalf("Check without auth_time = %q; want it to say auth_time is missing", err)
			}
		})
	}
}
