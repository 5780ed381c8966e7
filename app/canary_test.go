package app_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// canaryValue returns a recognisable random value with characters every encoding
// changes.
func canaryValue(t *testing.T, name string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "Canary" + name + "-" + hex.EncodeToString(b) + "-/+&=ü"
}

// leakedForms returns s as it must appear nowhere: raw, URL-encoded, base64,
// base64url, JSON-escaped and hex.
func leakedForms(s string) []string {
	j, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s), string(j[1 : len(j)-1]), hex.EncodeToString([]byte(s)),
		base64.StdEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s)),
		base64.URLEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
}

// syncBuffer is a log destination safe for concurrent writes.
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

// canaryRig is an idptest provider whose every secret is a canary, and what the
// library showed of them.
type canaryRig struct {
	t        *testing.T
	srv      *idptest.Server
	logs     *syncBuffer
	canaries map[string]string
	shown    strings.Builder // error strings, fmt and JSON of errors, results and configs
	user     string
	password string
	secret   string
	key      *ecdsa.PrivateKey
}

func newCanaryRig(t *testing.T) *canaryRig {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r := &canaryRig{t: t, logs: &syncBuffer{}, key: key,
		user: canaryValue(t, "User") + "@example.com", password: canaryValue(t, "Password"), secret: canaryValue(t, "Secret")}
	r.srv = idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users: []idptest.User{{Username: r.user, Password: domain.Secret(r.password)}},
		Clients: []idptest.Client{{ID: "public-app"}, {ID: "secret-app", Secret: domain.Secret(r.secret)},
			{ID: "key-app", PublicKey: key.Public()}},
		Scopes: []string{"api://orders/read"},
	}, AutoApproveUser: r.user})
	r.canaries = map[string]string{"password": r.password, "client secret": r.secret, "username": r.user,
		"assertion key": fmt.Sprint(key.D), "assertion key hex": hex.EncodeToString(key.D.Bytes())}
	return r
}

func (r *canaryRig) config(clientID string) app.Config {
	return app.Config{ClientID: clientID, Authority: r.srv.Issuer(), Cache: "memory:",
		Logger: slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

// show records every printed form of v.
func (r *canaryRig) show(v any) {
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		fmt.Fprintf(&r.shown, verb+"\n", v)
	}
	if err, ok := v.(error); ok {
		r.shown.WriteString(err.Error() + "\n")
		var de *domain.Error
		if errors.As(err, &de) {
			fmt.Fprintf(&r.shown, "%#v %+v\n", *de, *de)
		}
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		r.t.Fatalf("json.Marshal(%T) = %v", v, err)
	}
	r.shown.Write(b)
}

// failure records err, which must be the echoing provider's scrubbed refusal.
func (r *canaryRig) failure(what string, err error) {
	r.t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || !strings.Contains(de.Description, domain.Redacted) {
		r.t.Fatalf("%s = %v; want the echoing provider's refusal, scrubbed", what, err)
	}
	r.show(err)
}

// check fails the test when a canary (or an extra value) shows in any form.
func (r *canaryRig) check(extra map[string]string) {
	r.t.Helper()
	out := r.shown.String() + r.logs.String()
	for name, c := range r.canaries {
		for _, f := range leakedForms(c) {
			if strings.Contains(out, f) {
				r.t.Errorf("the %s canary shows as %q in:\n%s", name, f, out)
			}
		}
	}
	for name, c := range extra {
		if c != "" && strings.Contains(out, c) {
			r.t.Errorf("%s shows in:\n%s", name, out)
		}
	}
}

// echo scripts the next token request's refusal with the request echoed back.
func (r *canaryRig) echo() {
	r.srv.Script(idptest.Fault{Status: 400, EchoRequest: true,
		Error: &idptest.ErrorResponse{Error: "invalid_grant", Description: "AADSTS70000: echoing the request"}})
}

// TestCanary_library_secretsNeverReachErrorsLogsOrPrints: every secret of every flow
// — password, username, client secret, assertion key, authorization code, PKCE
// verifier, state, nonce, the access, refresh and ID tokens and the claims inside —
// is absent from every error string, %v/%+v/%#v of errors, results and configs, JSON of
// results and configs, and every log record, on success and on refusal by a provider
// that echoes the request.
func TestCanary_library_secretsNeverReachErrorsLogsOrPrints(t *testing.T) {
	ctx := testContext(t)
	r := newCanaryRig(t)
	tokens := map[string]string{}
	keep := func(prefix string, res app.AuthResult) {
		tokens[prefix+" access token"], tokens[prefix+" refresh token"], tokens[prefix+" ID token"] =
			string(res.AccessToken), string(res.RefreshToken), string(res.IDToken)
		if res.IDTokenClaims != nil {
			tokens[prefix+" nonce claim"] = res.IDTokenClaims.Nonce
		}
		r.show(res)
		r.show(&res)
	}

	// Password: success, then a refusal that echoes the request.
	pub, err := app.NewPublicClient(ctx, r.config("public-app"))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	r.show(r.config("public-app"))
	res, err := pub.AcquireTokenByUsernamePassword(ctx, r.user, r.password, readOrders)
	if err != nil {
		t.Fatalf("AcquireTokenByUsernamePassword() = %v", err)
	}
	keep("ropc", res)
	r.echo()
	_, err = pub.AcquireTokenByUsernamePassword(ctx, r.user, r.password, readOrders)
	r.failure("echoed password grant", err)

	// Refresh: a canary refresh token echoed back, and the silent refresh of the real one.
	// A refresh token is VSCHARs (RFC 6749 Appendix A): its canary drops the ü, which the
	// engine would refuse before any request.
	rt := strings.ReplaceAll(canaryValue(t, "RefreshToken"), "ü", "u")
	r.canaries["refresh token"] = rt
	r.echo()
	_, err = pub.AcquireTokenByRefreshToken(ctx, rt, readOrders)
	r.failure("echoed refresh grant", err)
	r.echo()
	_, err = pub.AcquireTokenSilent(ctx, readOrders, res.Account, app.WithForceRefresh())
	r.failure("echoed silent refresh", err)

	// Authorization code with a client secret: canary state and nonce; success, then an
	// echoed refusal of the redemption.
	conf, err := app.NewConfidentialClient(ctx, r.config("secret-app"), app.ClientSecret(r.secret))
	if err != nil {
		t.Fatal(err)
	}
	defer conf.Close()
	r.show(app.ClientSecret(r.secret))
	for i, fail := range []bool{false, true} {
		state := strings.ReplaceAll(canaryValue(t, fmt.Sprintf("State%d", i)), "ü", "u") // VSCHARs, as a refresh token
		r.canaries[fmt.Sprintf("state %d", i)] = state
		flow, err := conf.InitiateAuthCodeFlow(ctx, readOrders, "http://localhost/cb", app.WithState(state))
		if err != nil {
			t.Fatal(err)
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			fmt.Fprintf(&r.shown, verb+"\n", flow) // its JSON keeps the secrets, by design
		}
		r.canaries[fmt.Sprintf("verifier %d", i)] = string(flow.CodeVerifier)
		r.canaries[fmt.Sprintf("nonce %d", i)] = flow.Nonce
		redirect := authorize(t, flow.AuthURI)
		r.canaries[fmt.Sprintf("code %d", i)] = redirect.Get("code")
		if fail {
			r.echo()
			_, err = conf.AcquireTokenByAuthCodeFlow(ctx, flow, redirect)
			r.failure("echoed code redemption", err)
			continue
		}
		res, err := conf.AcquireTokenByAuthCodeFlow(ctx, flow, redirect)
		if err != nil {
			t.Fatalf("AcquireTokenByAuthCodeFlow() = %v", err)
		}
		keep("code", res)
	}

	// Client credentials with a key: success and an echoed refusal.
	keyed, err := app.NewConfidentialClient(ctx, r.config("key-app"), app.ClientCertificate(nil, r.key))
	if err != nil {
		t.Fatal(err)
	}
	defer keyed.Close()
	r.show(app.ClientCertificate(nil, r.key))
	cc, err := keyed.AcquireTokenForClient(ctx, []string{"api://orders/.default"})
	if err != nil {
		t.Fatalf("AcquireTokenForClient() = %v", err)
	}
	keep("client", cc)
	r.echo()
	_, err = keyed.AcquireTokenForClient(ctx, []string{"api://orders/.default"}, app.WithForceRefresh())
	r.failure("echoed client credentials", err)

	r.check(tokens)
	if !strings.Contains(r.logs.String(), "invalid_grant") {
		t.Errorf("logs = %s; want the refusals logged by class and code", r.logs.String())
	}
}

// authorize plays the browser at the auto-approving provider and returns the
// redirect's query.
func authorize(t *testing.T, authURI string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURI)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d %q; want a redirect with a code", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}
