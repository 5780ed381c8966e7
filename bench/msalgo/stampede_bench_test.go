package msalgo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

const (
	stampedeCallers = 100
	stampedeTenant  = "7f3c2a10-5b6d-4e8f-9a01-23456789abcd"
	stampedeUser    = "ada@contoso.example"
	stampedePass    = "correct horse"
)

// stampedeDoc signs a user in with hexauth (ROPC) on srv and returns its cache as an
// MSAL document without access tokens: every silent call then needs the refresh token.
func stampedeDoc(b *testing.B, srv *idptest.Server) []byte {
	b.Helper()
	ctx := context.Background()
	pc, err := app.NewPublicClient(ctx, app.Config{ClientID: benchClientID, Authority: srv.EntraAuthority(stampedeTenant),
		AuthorityKind: domain.AuthorityEntra, Cache: "memory:", HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AcquireTokenByUsernamePassword(ctx, stampedeUser, stampedePass, []string{benchScope}); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := pc.ExportCache(ctx, &buf); err != nil {
		b.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		b.Fatal(err)
	}
	doc["AccessToken"] = json.RawMessage("{}")
	out, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// stampede runs call from stampedeCallers goroutines released at once and fails b on
// the first error.
func stampede(b *testing.B, call func() error) {
	var start, done sync.WaitGroup
	start.Add(1)
	errs := make(chan error, stampedeCallers)
	for range stampedeCallers {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs <- call()
		}()
	}
	start.Done()
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshStampede: 100 concurrent silent calls for an account whose access
// token is gone, on a fresh client loaded with the same document each iteration,
// against the fake provider over TLS on loopback. "grants/stampede" counts the
// refresh_token grants the provider received per stampede. The provider does not
// rotate refresh tokens here: with rotation, every grant past the first would present
// a spent token.
//
//	go test -run '^$' -bench '^BenchmarkRefreshStampede$' -benchtime 20x -count 5
func BenchmarkRefreshStampede(b *testing.B) {
	srv, err := idptest.NewServer(idptest.Config{TLS: true, Provider: idptest.ProviderConfig{
		Users:      []idptest.User{{Username: stampedeUser, Password: stampedePass, TenantID: stampedeTenant}},
		Clients:    []idptest.Client{{ID: benchClientID}},
		ClientInfo: true,
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	doc := stampedeDoc(b, srv)
	ctx := context.Background()

	b.Run("msal-go", func(b *testing.B) {
		grants := 0
		for b.Loop() {
			b.StopTimer()
			c, err := public.New(benchClientID, public.WithAuthority(srv.EntraAuthority(stampedeTenant)),
				public.WithCache(&loadOnce{doc: doc}), public.WithHTTPClient(srv.Client()), public.WithInstanceDiscovery(false))
			if err != nil {
				b.Fatal(err)
			}
			accounts, err := c.Accounts(ctx)
			if err != nil || len(accounts) != 1 {
				b.Fatalf("MSAL Go Accounts = %d, %v; want 1", len(accounts), err)
			}
			before := srv.Requests(domain.GrantRefreshToken)
			b.StartTimer()
			stampede(b, func() error {
				_, err := c.AcquireTokenSilent(ctx, []string{benchScope}, public.WithSilentAccount(accounts[0]))
				return err
			})
			grants += srv.Requests(domain.GrantRefreshToken) - before
		}
		b.ReportMetric(float64(grants)/float64(b.N), "grants/stampede")
	})
	b.Run("hexauth-memory", func(b *testing.B) {
		grants := 0
		for b.Loop() {
			b.StopTimer()
			pc, err := app.NewPublicClient(ctx, app.Config{ClientID: benchClientID, Authority: srv.EntraAuthority(stampedeTenant),
				AuthorityKind: domain.AuthorityEntra, Cache: "memory:", HTTPClient: srv.Client()})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := pc.ImportCache(ctx, bytes.NewReader(doc)); err != nil {
				b.Fatal(err)
			}
			accounts, err := pc.Accounts(ctx)
			if err != nil || len(accounts) != 1 {
				b.Fatalf("hexauth Accounts = %d, %v; want 1", len(accounts), err)
			}
			before := srv.Requests(domain.GrantRefreshToken)
			b.StartTimer()
			stampede(b, func() error {
				_, err := pc.AcquireTokenSilent(ctx, []string{benchScope}, accounts[0])
				return err
			})
			b.StopTimer()
			grants += srv.Requests(domain.GrantRefreshToken) - before
			_ = pc.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(grants)/float64(b.N), "grants/stampede")
	})
}
