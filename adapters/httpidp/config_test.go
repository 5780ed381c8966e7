package httpidp_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
)

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name string
		cfg  httpidp.Config
		ok   bool
	}{
		{"zero", httpidp.Config{}, true},
		{"tiny waits", httpidp.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond}, true},
		{"no retries", httpidp.Config{MaxRetries: -1}, true},
		{"PS256", httpidp.Config{ClientAssertionAlg: "PS256"}, true},
		{"negative timeout", httpidp.Config{AttemptTimeout: -time.Second}, false},
		{"negative cap", httpidp.Config{RetryAfterCap: -time.Second}, false},
		{"negative ttl", httpidp.Config{JWKSTTL: -time.Second}, false},
		{"min over max", httpidp.Config{RetryWaitMin: time.Second, RetryWaitMax: time.Millisecond}, false},
		{"HS256 assertion", httpidp.Config{ClientAssertionAlg: "HS256"}, false},
		{"PS512", httpidp.Config{ClientAssertionAlg: "PS512"}, true},
		{"ES256 for RSA keys", httpidp.Config{ClientAssertionAlg: "ES256"}, false},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v; want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%s: Validate() = %v; want ErrInvalidInput", tt.name, err)
		}
		if _, nerr := httpidp.New(tt.cfg); (nerr == nil) != tt.ok {
			t.Errorf("%s: New() = %v; want ok %v", tt.name, nerr, tt.ok)
		}
	}
}

func TestNew_defaultUserAgent(t *testing.T) {
	f := newFakeIdP(t)
	cfg := testConfig(newFakeClock())
	cfg.Version = ""
	p := newProvider(t, cfg)
	if _, err := p.Token(t.Context(), codeRequest(f.authority("", domain.AuthorityOIDC))); err != nil {
		t.Fatalf("Token() = %v", err)
	}
	if ua := f.lastToken().Header.Get("User-Agent"); ua != "hexauth/dev" {
		t.Errorf("got User-Agent %q; want hexauth/dev in a test binary", ua)
	}
}
