package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// A context that ends while the client starts (the cache store opening, say) is a
// classified error naming what was being done, never a bare "context deadline
// exceeded": the CLI's exit code and a caller's errors.Is depend on the class.
func TestNewPublicClient_contextEndedWhileStarting(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: "c", Authority: "https://login.example.com/tenant-a", IdentityProvider: newFake(nil)})
	if err == nil {
		_ = pc.Close()
		t.Fatal("NewPublicClient with an ended context = nil error")
	}
	if !errors.Is(err, domain.ErrCacheStore) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "new client") {
		t.Fatalf("NewPublicClient with an ended context = %v; want ErrCacheStore naming the start, wrapping context.DeadlineExceeded", err)
	}
}
