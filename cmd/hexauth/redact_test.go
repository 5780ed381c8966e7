package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dsnPassword is the password the tests below put in cache URLs; no output may hold it.
const dsnPassword = "dsn-Secret-9f2c"

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// checkNoPassword fails t when r's output holds dsnPassword.
func checkNoPassword(t *testing.T, what string, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, dsnPassword) {
		t.Errorf("%s printed the cache URL's password:\n%s", what, r)
	}
}

func TestCacheURL_run_passwordOfAnUnreachableCacheIsNeverPrinted(t *testing.T) {
	srv := startIdP(t)
	addr := closedPort(t)
	export := filepath.Join(t.TempDir(), "export.json")
	for _, cache := range []string{
		"postgres://hexauth:" + dsnPassword + "@" + addr + "/tokens?sslmode=disable",
		"postgres://hexauth@" + addr + "/tokens?sslmode=disable&password=" + dsnPassword,
		"postgres://hexauth:" + dsnPassword + "/x@" + addr + "/tokens", // not a valid URL
	} {
		env := with(clientEnv(srv, t.TempDir()), "HEXAUTH_CACHE", cache, "HEXAUTH_PASSWORD", adaPassword, "HEXAUTH_VERBOSE", "true")
		for _, args := range [][]string{
			{"demo", "--cache", cache, "--verbose"},
			{"demo", "--cache", cache, "--verbose", "--output", "json"},
			{"ropc", "--username", adaName},
			{"token", "--output", "json"},
			{"accounts", "list"},
			{"accounts", "remove", "--username", adaName},
			{"cache", "export", "--file", export},
			{"cache", "import", "--output", "json", javaSample},
		} {
			r := runInProcess(t, invocation{args: args, env: env})
			if r.code == exitOK {
				t.Errorf("%v with an unreachable cache: got %s; want a failure", args, r)
			}
			checkNoPassword(t, strings.Join(args, " "), r)
		}
	}
}

// postgresCache returns the test database's URL with dsnPassword as its password (the
// test server trusts loopback connections, so any password is accepted), or skips t.
func postgresCache(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("HEXAUTH_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("HEXAUTH_TEST_POSTGRES_DSN is not set")
	}
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		t.Skipf("HEXAUTH_TEST_POSTGRES_DSN is not a postgres:// URL with a user")
	}
	if _, set := u.User.Password(); set {
		t.Skip("HEXAUTH_TEST_POSTGRES_DSN has a password of its own")
	}
	u.User = url.UserPassword(u.User.Username(), dsnPassword)
	return u.String()
}

func TestCacheURL_run_demoOnPostgresShowsTheURLRedacted(t *testing.T) {
	cache := postgresCache(t)
	text := runInProcess(t, invocation{args: []string{"demo", "--cache", cache, "--verbose"}})
	checkNoPassword(t, "demo", text)
	if text.code != exitOK || !strings.Contains(text.stdout, "cache     postgres://") || !strings.Contains(text.stdout, ":xxxxx@") {
		t.Fatalf("demo on Postgres: got %s; want the cache URL with its password as xxxxx", text)
	}
	js := runInProcess(t, invocation{args: []string{"demo", "--cache", cache, "--verbose", "--output", "json"}})
	checkNoPassword(t, "demo --output json", js)
	var tr transcriptJSON
	if err := json.Unmarshal([]byte(js.stdout), &tr); err != nil || !tr.OK || !strings.Contains(tr.Cache, ":xxxxx@") {
		t.Fatalf("demo --output json on Postgres: got %s (%v); want the cache URL with its password as xxxxx", js, err)
	}
}

func TestCacheURL_run_commandsOnPostgresNeverPrintThePassword(t *testing.T) {
	cache := postgresCache(t)
	srv := startIdP(t)
	partition := "redact-" + strings.ReplaceAll(t.Name(), "/", "-")
	env := with(clientEnv(srv, t.TempDir()), "HEXAUTH_CACHE", cache, "HEXAUTH_PASSWORD", adaPassword,
		"HEXAUTH_VERBOSE", "true", "HEXAUTH_PARTITION", partition)
	export := filepath.Join(t.TempDir(), "export.json")
	for _, args := range [][]string{
		{"ropc", "--username", adaName},
		{"token", "--output", "json"},
		{"accounts", "list", "--output", "json"},
		{"cache", "export", "--file", export},
		{"cache", "import", export},
		{"accounts", "remove", "--username", adaName},
	} {
		r := runInProcess(t, invocation{args: args, env: env})
		if r.code != exitOK {
			t.Fatalf("%v on Postgres: got %s; want success", args, r)
		}
		checkNoPassword(t, strings.Join(args, " "), r)
	}
}

func TestDemo_walk_headerShowsTheCacheURLRedacted(t *testing.T) {
	ctx, d := startTestDemo(t)
	// Only the transcript reads d.cache after the start: show it a URL with a password.
	d.cache = "postgres://hexauth:" + dsnPassword + "@db.internal/tokens"
	for _, asJSON := range []bool{false, true} {
		var stdout bytes.Buffer
		e := &env{stdout: &stdout}
		p := printer{e: e, json: asJSON, now: time.Now}
		finishDemo(e, p, d.walk(ctx, e, p))
		if out := stdout.String(); strings.Contains(out, dsnPassword) || !strings.Contains(out, "postgres://hexauth:xxxxx@db.internal/tokens") {
			t.Fatalf("json %t: transcript\n%s\nwant the cache URL with its password as xxxxx", asJSON, out)
		}
		if err := d.clearPartition(ctx); err != nil { // the next walk signs in again
			t.Fatal(err)
		}
	}
}
