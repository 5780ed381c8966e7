package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"go.uber.org/fx"
)

const (
	dsnPassword = "s3cr3t-pw"
	sealingKey  = "k3y-0123456789abcdef0123456789ab" // 32 bytes
)

func secretConfig() app.Config {
	return app.Config{
		ClientID: clientID, Authority: authority, ExpiryBuffer: time.Minute,
		Cache:      "postgres://hexauth:" + dsnPassword + "@db.example.com:5432/tokens?sslmode=verify-full",
		SealingKey: []byte(sealingKey),
		Logger:     slog.New(slog.DiscardHandler),
	}
}

// assertNoSecret fails if out holds the sealing key (as text, hex or fmt's byte list)
// or the DSN password.
func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, secret := range []string{
		dsnPassword, sealingKey, hex.EncodeToString([]byte(sealingKey)),
		strings.Trim(fmt.Sprint([]byte(sealingKey)[:4]), "[]"),
	} {
		if strings.Contains(out, secret) {
			t.Fatalf("%s = %s; leaks %q", what, out, secret)
		}
	}
}

func TestConfig_String_redactsEveryVerb(t *testing.T) {
	cfg := secretConfig()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%-10v"} {
		for _, arg := range []any{cfg, &cfg, struct{ Cfg app.Config }{cfg}, []app.Config{cfg}} {
			out := fmt.Sprintf(verb, arg)
			what := fmt.Sprintf("Sprintf(%q, %T)", verb, arg)
			assertNoSecret(t, what, out)
			if verb == "%x" || verb == "%X" {
				continue // hex of the redacted text: the check above is what matters
			}
			for _, want := range []string{clientID, "set (32 bytes)", "hexauth:xxxxx@db.example.com:5432/tokens"} {
				if !strings.Contains(out, want) {
					t.Fatalf("%s = %s; want it to show %q", what, out, want)
				}
			}
		}
	}
}

func TestConfig_String_fields(t *testing.T) {
	cfg := secretConfig()
	want := "{ClientID:my-app Authority:https://login.example.com/tenant-a AuthorityKind: " +
		"Cache:postgres://hexauth:xxxxx@db.example.com:5432/tokens?sslmode=verify-full CacheStore:<nil> ExpiryBuffer:1m0s FlowMaxAge:0s " +
		"InsecureSkipSignatureCheck:false Logger:*slog.Logger SealingKey:set (32 bytes) IdentityProvider:<nil> Clock:<nil> Browser:<nil> HTTPClient:<nil> Transport:<nil> AllowedHosts:[]}"
	if got := cfg.String(); got != want {
		t.Fatalf("String() = %s\nwant %s", got, want)
	}
	wantGo := `app.Config{ClientID:"my-app", Authority:"https://login.example.com/tenant-a", AuthorityKind:"", ` +
		`Cache:"postgres://hexauth:xxxxx@db.example.com:5432/tokens?sslmode=verify-full", CacheStore:<nil>, ExpiryBuffer:60000000000, FlowMaxAge:0, ` +
		`InsecureSkipSignatureCheck:false, Logger:*slog.Logger, SealingKey:"set (32 bytes)", IdentityProvider:<nil>, Clock:<nil>, Browser:<nil>, HTTPClient:<nil>, Transport:<nil>, AllowedHosts:[]string(nil)}`
	if got := fmt.Sprintf("%#v", cfg); got != wantGo {
		t.Fatalf("%%#v = %s\nwant %s", got, wantGo)
	}
	if got := fmt.Sprintf("%v", app.Config{}); !strings.Contains(got, "SealingKey:unset") || !strings.Contains(got, "Cache: ") {
		t.Fatalf("%%v of the zero Config = %s; want SealingKey:unset and an empty Cache", got)
	}
}

// The Cache (and Authority) URL keeps everything but its password.
func TestConfig_String_cacheURLs(t *testing.T) {
	for _, tc := range []struct{ cache, want string }{
		{"", ""},
		{"memory:", "memory:"},
		{"sqlite::memory:", "sqlite::memory:"},
		{"sqlite:///var/lib/app/tokens.db", "sqlite:///var/lib/app/tokens.db"},
		{"sqlite:///home/a@b/passwords.db", "sqlite:///home/a@b/passwords.db"},
		{"postgres://hexauth@db:5432/tokens", "postgres://hexauth@db:5432/tokens"},
		{"postgres://hexauth:" + dsnPassword + "@db:5432/tokens", "postgres://hexauth:xxxxx@db:5432/tokens"},
		{"postgresql://hexauth:" + dsnPassword + "@db/tokens", "postgresql://hexauth:xxxxx@db/tokens"},
		{"postgres://db/tokens?user=hexauth&password=" + dsnPassword, "postgres://db/tokens?password=xxxxx&user=hexauth"},
		{"postgres://db/tokens?sslpassword=" + dsnPassword + "&sslmode=require", "postgres://db/tokens?sslmode=require&sslpassword=xxxxx"},
		{"postgres://db/tokens?pass%77ord=" + dsnPassword, "postgres://db/tokens?password=xxxxx"}, // an encoded key is still the password
		{"postgres://hexauth:pa/" + dsnPassword + "@db/tokens", "postgres://xxxxx"},               // unescaped '/': ambiguous
		{"postgres://hexauth:12/" + dsnPassword + "@db/tokens", "postgres://xxxxx"},               // parses with "12" as a port
		{"postgres://hexauth:%zz" + dsnPassword + "@db/tokens", "postgres://xxxxx"},               // does not parse
		{"redis://:" + dsnPassword + "@cache:6379", "redis://:xxxxx@cache:6379"},                  // invalid, still redacted
		{"postgres:hexauth:" + dsnPassword + "@db/tokens", "postgres://xxxxx"},                    // opaque
	} {
		t.Run(tc.cache, func(t *testing.T) {
			cfg := app.Config{Cache: tc.cache}
			var got any
			for _, a := range cfg.LogValue().Group() {
				if a.Key == "Cache" {
					got = a.Value.Any()
				}
			}
			if got != tc.want {
				t.Fatalf("Cache %q shown as %q; want %q", tc.cache, got, tc.want)
			}
			if got := app.RedactedURL(tc.cache); got != tc.want {
				t.Fatalf("RedactedURL(%q) = %q; want %q", tc.cache, got, tc.want)
			}
			assertNoSecret(t, "String()", cfg.String())
		})
	}
}

func TestConfig_LogValue_slogJSON(t *testing.T) {
	cfg := secretConfig()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("starting", "config", cfg, "ptr", &cfg)
	assertNoSecret(t, "slog JSON", buf.String())
	var rec struct {
		Config, Ptr map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("slog JSON %s: %v", buf.String(), err)
	}
	for name, got := range map[string]map[string]any{"config": rec.Config, "ptr": rec.Ptr} {
		if got["SealingKey"] != "set (32 bytes)" || got["ClientID"] != clientID ||
			got["Cache"] != "postgres://hexauth:xxxxx@db.example.com:5432/tokens?sslmode=verify-full" ||
			got["ExpiryBuffer"] != float64(time.Minute) || got["Logger"] != "*slog.Logger" {
			t.Fatalf("slog JSON %q = %v; want the fields with the key and password redacted", name, got)
		}
	}

	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("starting", "config", cfg)
	assertNoSecret(t, "slog text", buf.String())
	if !strings.Contains(buf.String(), `config.SealingKey="set (32 bytes)"`) {
		t.Fatalf("slog text = %s; want config.SealingKey=\"set (32 bytes)\"", buf.String())
	}
}

// An Engine keeps its Config in an unexported field, which fmt prints without calling
// any method: the Engine must redact it itself.
func TestEngine_Format_redactsItsConfig(t *testing.T) {
	cfg := secretConfig()
	cfg.Cache = "memory:"
	cfg.IdentityProvider = newFake(memory.NewClock(exampleStart))
	var e *app.Engine
	a := fx.New(fx.NopLogger, app.Options(cfg), fx.Populate(&e))
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Stop(ctx) //nolint:errcheck
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d"} {
		for _, arg := range []any{e, *e} {
			out := fmt.Sprintf(verb, arg)
			assertNoSecret(t, fmt.Sprintf("Sprintf(%q, %T)", verb, arg), out)
			if !strings.Contains(out, "set (32 bytes)") {
				t.Fatalf("Sprintf(%q, %T) = %s; want the redacted Config", verb, arg, out)
			}
		}
	}
}

// An authority URL is no place for a password, but one put there is not printed either.
func TestConfig_String_authorityPassword(t *testing.T) {
	cfg := app.Config{Authority: "https://user:" + dsnPassword + "@login.example.com/tenant-a"}
	for _, out := range []string{cfg.String(), fmt.Sprintf("%#v", cfg)} {
		assertNoSecret(t, "Config with a password in Authority", out)
		if !strings.Contains(out, "https://user:xxxxx@login.example.com/tenant-a") {
			t.Fatalf("Config printed as %s; want the authority with its password redacted", out)
		}
	}
}
