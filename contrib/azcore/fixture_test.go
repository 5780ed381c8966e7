package azcore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	hexaz "github.com/hexauth/hexauth/contrib/azcore"
	"github.com/hexauth/hexauth/domain"
)

const (
	homeTenant  = "7f3c2a10-5b6d-4e8f-9a01-23456789abcd"
	otherTenant = "0b5e9a7c-1d2e-4f30-8a41-b2c3d4e5f607"
	publicID    = "0a1b2c3d-4e5f-4061-8172-93a4b5c6d7e8"
	daemonID    = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
	daemonKey   = "daemon-secret-canary-7Qx"
	username    = "ada@contoso.example"
	password    = "password-canary-Zr4"
	apiScope    = "api://orders/.default"
	// caeClaims is a decoded CAE challenge (Entra's example); challenge is its base64
	// as an API sends it in WWW-Authenticate.
	caeClaims = `{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}`
)

var challenge = base64.StdEncoding.EncodeToString([]byte(caeClaims))

// tokenCall is one token request a client sent.
type tokenCall struct {
	path, grant, claims string
}

// recorder is a client's transport: it notes every token request (path, grant,
// claims) and keeps a copy of every request and response body, to search for secrets.
type recorder struct {
	mu    sync.Mutex
	calls []tokenCall
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		f, _ := url.ParseQuery(string(b))
		r.mu.Lock()
		r.calls = append(r.calls, tokenCall{path: req.URL.Path, grant: f.Get("grant_type"), claims: f.Get("claims")})
		r.mu.Unlock()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) sent() []tokenCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tokenCall(nil), r.calls...)
}

// syncBuffer is a log sink safe for the clients' concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is the fake provider (Entra-shaped, over loopback HTTP), a CAE and a plain
// client of each kind, each with its own memory store, transport recorder and the one
// debug log.
type fixture struct {
	srv                    *idptest.Server
	clock                  *memory.Clock
	log                    *syncBuffer
	caePC, plainPC         *app.PublicClient
	caeCC, plainCC         *app.ConfidentialClient
	caeRec, plainRec       *recorder // the public clients' token requests
	caeCCRec, plainCCRec   *recorder // the confidential clients'
	caeSignIn, plainSignIn app.AuthResult
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	// A clock in a zone other than UTC: the credential must still answer in UTC.
	f := &fixture{clock: memory.NewClock(time.Now().In(time.FixedZone("UTC+3", 3*3600)).Truncate(time.Second)), log: &syncBuffer{}}
	srv, err := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Clock:      f.clock,
		Users:      []idptest.User{{Username: username, Password: domain.Secret(password), TenantID: homeTenant, Name: "Ada"}},
		Clients:    []idptest.Client{{ID: publicID}, {ID: daemonID, Secret: daemonKey}},
		ClientInfo: true,
		RefreshIn:  20 * time.Minute,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f.srv = srv
	logger := slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	config := func(clientID string, rec *recorder, caps []string) app.Config {
		return app.Config{
			ClientID: clientID, Authority: srv.EntraAuthority(homeTenant), AuthorityKind: domain.AuthorityEntra,
			Cache: "memory:", Clock: f.clock, Logger: logger, Transport: rec, ClientCapabilities: caps,
		}
	}
	f.caeRec, f.plainRec, f.caeCCRec, f.plainCCRec = &recorder{}, &recorder{}, &recorder{}, &recorder{}
	cae := []string{hexaz.CAECapability}
	if f.caePC, err = app.NewPublicClient(ctx, config(publicID, f.caeRec, cae)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.caePC.Close() })
	if f.plainPC, err = app.NewPublicClient(ctx, config(publicID, f.plainRec, nil)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.plainPC.Close() })
	if f.caeCC, err = app.NewConfidentialClient(ctx, config(daemonID, f.caeCCRec, cae), app.ClientSecret(daemonKey)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.caeCC.Close() })
	if f.plainCC, err = app.NewConfidentialClient(ctx, config(daemonID, f.plainCCRec, nil), app.ClientSecret(daemonKey)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.plainCC.Close() })
	// Ada signs in on each public client (each keeps its own refresh token).
	if f.caeSignIn, err = f.caePC.AcquireTokenByUsernamePassword(ctx, username, password, []string{apiScope}); err != nil {
		t.Fatal(err)
	}
	if f.plainSignIn, err = f.plainPC.AcquireTokenByUsernamePassword(ctx, username, password, []string{apiScope}); err != nil {
		t.Fatal(err)
	}
	return f
}

// api is a resource server behind continuous access evaluation: a token the test
// revokes earns a 401 with a CAE claims challenge; any other is accepted.
type api struct {
	*httptest.Server
	mu      sync.Mutex
	seen    []string // Authorization headers, in order
	revoked map[string]bool
}

func newAPI(t *testing.T) *api {
	t.Helper()
	a := &api{revoked: map[string]bool{}}
	a.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		authz := r.Header.Get("Authorization")
		a.seen = append(a.seen, authz)
		token, ok := strings.CutPrefix(authz, "Bearer ")
		switch {
		case !ok || token == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm=""`)
			w.WriteHeader(http.StatusUnauthorized)
		case a.revoked[token]:
			w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="`+challenge+`"`)
			w.WriteHeader(http.StatusUnauthorized)
		default:
			io.WriteString(w, "orders")
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *api) revoke(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revoked[token] = true
}

func (a *api) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// get sends GET /orders through an azcore pipeline authorized by cred, as an Azure SDK
// client does (runtime.NewBearerTokenPolicy), and returns the status.
func (a *api) get(t *testing.T, cred *hexaz.Credential) int {
	t.Helper()
	pl := runtime.NewPipeline("hexauthtest", "v0.0.1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{apiScope}, nil)},
	}, &policy.ClientOptions{Transport: a.Client(), Retry: policy.RetryOptions{MaxRetries: -1}})
	req, err := runtime.NewRequest(context.Background(), http.MethodGet, a.URL+"/orders")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := pl.Do(req)
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}
