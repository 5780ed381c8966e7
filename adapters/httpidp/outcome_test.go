package httpidp_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// TestProvider_Token_outcomeUnknownOrCouldNotConnect: a token request whose connection
// drops after it was sent says the outcome is unknown (the provider may have redeemed
// the grant); one that could not connect says nothing was sent. Both are unavailable.
func TestProvider_Token_outcomeUnknownOrCouldNotConnect(t *testing.T) {
	t.Run("dropped after sending", func(t *testing.T) {
		f := newFakeIdP(t)
		f.setToken(dropConnection)
		p := newProvider(t, testConfig(newFakeClock()))
		_, err := p.Token(t.Context(), codeRequest(f.authority("", domain.AuthorityOIDC)))
		de := wantClass(t, err, domain.ErrUnavailable)
		if !strings.Contains(de.Description, "outcome unknown") || strings.Contains(de.Description, "could not connect") {
			t.Errorf("Token() = %q; want it to say the outcome is unknown", err)
		}
	})
	t.Run("could not connect", func(t *testing.T) {
		f := newFakeIdP(t)
		rt := &countingTransport{}
		cfg := testConfig(newFakeClock())
		cfg.Transport = rt
		p := newProvider(t, cfg)
		a := f.authority("", domain.AuthorityOIDC)
		if _, err := p.Metadata(t.Context(), a); err != nil {
			t.Fatalf("Metadata() = %v", err)
		}
		rt.setFail(func(*http.Request) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
		})
		_, err := p.Token(t.Context(), codeRequest(a))
		de := wantClass(t, err, domain.ErrUnavailable)
		if !strings.Contains(de.Description, "could not connect") || strings.Contains(de.Description, "outcome unknown") {
			t.Errorf("Token() = %q; want it to say it could not connect", err)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Token() = %v; want it to wrap the dial error", err)
		}
	})
}
