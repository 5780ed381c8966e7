package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
	"github.com/hexauth/hexauth/domain"
)

// canary returns a recognisable random value holding characters that every encoding
// changes (space, '/', '+', '&', '=', a non-ASCII letter, a quote).
func canary(t *testing.T, name string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "Canary" + name + "-" + hex.EncodeToString(b) + ` /+&=ü"x`
}

// canaryForms returns s raw, URL-encoded (query and path), base64 and base64url
// (padded and not), JSON-escaped and hex: the forms it must not take in any output.
func canaryForms(s string) map[string]string {
	j, _ := json.Marshal(s)
	return map[string]string{
		"raw": s, "query": url.QueryEscape(s), "path": url.PathEscape(s), "json": string(j[1 : len(j)-1]),
		"base64": base64.StdEncoding.EncodeToString([]byte(s)), "base64-raw": base64.RawStdEncoding.EncodeToString([]byte(s)),
		"base64url": base64.URLEncoding.EncodeToString([]byte(s)), "base64url-raw": base64.RawURLEncoding.EncodeToString([]byte(s)),
		"hex": hex.EncodeToString([]byte(s)),
	}
}

// checkCanaries fails t when out holds any canary in any form.
func checkCanaries(t *testing.T, what, out string, canaries map[string]string) {
	t.Helper()
	for name, c := range canaries {
		for form, v := range canaryForms(c) {
			if strings.Contains(out, v) {
				t.Errorf("%s holds the %s canary (%s):\n%s", what, name, form, out)
			}
		}
	}
}

// TestCanary_run_secretsNeverReachErrorsLogsOrStderr: a provider that echoes the whole
// request (form and Authorization header) in error_description gets no secret onto the
// command line's stderr, its verbose log or its JSON error, on the password, refresh
// and confidential-client paths; a success prints the tokens (the product) on stdout
// and no secret of the request anywhere.
func TestCanary_run_secretsNeverReachErrorsLogsOrStderr(t *testing.T) {
	user, password := canary(t, "User")+"@example.com", canary(t, "Password")
	// A refresh token is VSCHARs (RFC 6749 Appendix A): its canary drops the ü, which the
	// engine would refuse before any request.
	secret, refresh := canary(t, "ClientSecret"), strings.ReplaceAll(canary(t, "RefreshToken"), "ü", "u")
	srv := idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: user, Password: domain.Secret(password)}},
		Clients: []idptest.Client{{ID: testClient}, {ID: webClient, Secret: domain.Secret(secret)}},
		Scopes:  []string{testScope},
	}})
	canaries := map[string]string{"username": user, "password": password, "client secret": secret, "refresh token": refresh}
	echo := idptest.Fault{Status: 400, EchoRequest: true, Times: -1,
		Error: &idptest.ErrorResponse{Error: "invalid_grant", Description: "AADSTS50126: echoing \x1b[2J the request"}}
	pub := with(clientEnv(srv, t.TempDir()), "HEXAUTH_PASSWORD", password, "HEXAUTH_REFRESH_TOKEN", refresh, "HEXAUTH_VERBOSE", "true")
	conf := with(pub, "HEXAUTH_CLIENT_ID", webClient, "HEXAUTH_CLIENT_SECRET", secret)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"ropc", []string{"ropc", "--username", user}, pub},
		{"ropc confidential", []string{"ropc", "--username", user}, conf},
		{"refresh", []string{"refresh"}, pub},
		{"refresh confidential", []string{"refresh"}, conf},
	} {
		for _, output := range []string{"text", "json"} {
			t.Run(tc.name+" "+output, func(t *testing.T) {
				srv.ClearFaults()
				srv.Script(echo)
				r := runInProcess(t, invocation{args: append(tc.args, "--output", output), env: tc.env})
				if r.code == exitOK || !strings.Contains(r.stderr, "AADSTS50126") || !strings.Contains(r.stderr, domain.Redacted) {
					t.Fatalf("got %s; want the provider's scrubbed refusal", r)
				}
				if strings.ContainsRune(r.stdout+r.stderr, 0x1b) {
					t.Errorf("the output holds a raw ESC:\n%s", r)
				}
				checkCanaries(t, "the output of a refused "+tc.name, r.stdout+r.stderr, canaries)
			})
		}
	}
	srv.ClearFaults()
	for _, output := range []string{"text", "json"} {
		for name, env := range map[string]map[string]string{"public": pub, "confidential": conf} {
			r := runInProcess(t, invocation{args: []string{"ropc", "--username", user, "--output", output}, env: env})
			if r.code != exitOK {
				t.Fatalf("ropc %s %s: %s", name, output, r)
			}
			// The username is the account's name, shown in the success notice; the secrets
			// of the request are not.
			checkCanaries(t, "the output of a successful ropc "+name+" "+output, r.stdout+r.stderr,
				map[string]string{"password": password, "client secret": secret})
		}
		// The silent path: the cached refresh token, echoed back, shows only redacted.
		srv.Script(idptest.Fault{Grant: domain.GrantRefreshToken, Status: 400, EchoRequest: true,
			Error: &idptest.ErrorResponse{Error: "invalid_grant", Description: "AADSTS70000: echoing the request"}})
		r := runInProcess(t, invocation{args: []string{"token", "--force-refresh", "--username", user, "--output", output}, env: pub})
		if r.code == exitOK || !strings.Contains(r.stdout+r.stderr, "refresh_token="+domain.Redacted) {
			t.Errorf("token --force-refresh against an echoing provider: got %s; want the refusal with the refresh token redacted", r)
		}
		checkCanaries(t, "the output of a refused silent refresh", r.stdout+r.stderr, canaries)
	}
}

// TestCanary_login_echoedCodeRedemptionLeaksNothing: login's code redemption refused
// by a provider that echoes the request: the code, the PKCE verifier, the state and
// nonce (printed once, in the sign-in URL the user must open) and the user's canaries
// appear nowhere after that URL, in text or JSON output.
func TestCanary_login_echoedCodeRedemptionLeaksNothing(t *testing.T) {
	user, password := canary(t, "User")+"@example.com", canary(t, "Password")
	srv := idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users:   []idptest.User{{Username: user, Password: domain.Secret(password)}},
		Clients: []idptest.Client{{ID: testClient}},
		Scopes:  []string{testScope},
	}})
	for _, output := range []string{"text", "json"} {
		t.Run(output, func(t *testing.T) {
			srv.Script(idptest.Fault{Grant: domain.GrantAuthorizationCode, Status: 400, EchoRequest: true,
				Error: &idptest.ErrorResponse{Error: "invalid_grant", Description: "AADSTS70000: echoing the request"}})
			l := startLogin(t, with(clientEnv(srv, t.TempDir()), "HEXAUTH_VERBOSE", "true"), "--username", user, "--output", output)
			authURL := waitForURL(t, l.stderr.lines)
			q, err := url.ParseQuery(authURL[strings.Index(authURL, "?")+1:])
			if err != nil {
				t.Fatal(err)
			}
			agent := useragent.New()
			defer agent.Close()
			agent.SetUser(user, password)
			_ = agent.Open(context.Background(), authURL) // the redemption fails after the redirect
			code := l.wait(t)
			_, after, _ := strings.Cut(l.stderr.String(), authURL)
			out := l.stdout.String() + after
			if code == exitOK || !strings.Contains(out, "AADSTS70000") {
				t.Fatalf("login exit %d; want the echoing provider's refusal:\n%s", code, out)
			}
			for _, p := range []string{"code=" + domain.Redacted, "code_verifier=" + domain.Redacted} {
				if !strings.Contains(out, p) && !strings.Contains(out, strings.ReplaceAll(p, "=", `\u003d`)) {
					t.Errorf("the output lacks %s: the echo was not scrubbed as expected:\n%s", p, out)
				}
			}
			checkCanaries(t, "login's output after the sign-in URL", out, map[string]string{"password": password,
				"username": user, "state": q.Get("state"), "nonce": q.Get("nonce")})
		})
	}
}
