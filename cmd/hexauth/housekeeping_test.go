package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCachePath_resolvesEverySpelling(t *testing.T) {
	home := t.TempDir()
	abs := filepath.Join(t.TempDir(), "f.db")
	for _, tc := range []struct {
		name, cache, want string
	}{
		{"default", "", filepath.Join(home, ".cache", "hexauth", "tokens.db")},
		{"~ in the environment", "~/tokens/x.db", filepath.Join(home, "tokens", "x.db")},
		{"file: URL", "file://" + filepath.ToSlash(abs), abs},
		{"file://localhost URL", "file://localhost" + filepath.ToSlash(abs), abs},
		{"postgres, password left out", "postgres://u:hunter2@db/x", "postgres://u:xxxxx@db/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, ".cache")}
			if tc.cache != "" {
				env["HEXAUTH_CACHE"] = tc.cache
			}
			r := runBinary(t, invocation{args: []string{"cache", "path"}, env: env})
			if r.code != exitOK || strings.TrimSpace(r.stdout) != tc.want {
				t.Fatalf("got %s; want %s", r, tc.want)
			}
		})
	}
}

func TestCache_fileURLsAreNeverLiteralNames(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"file:rel.db", "file://host/x.db", "file:///x.db?mode=ro"} {
		cmd := exec.Command(binary, "accounts", "list", "--cache", bad)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !strings.Contains(stderr.String(), "file:///absolute/path") {
			t.Errorf("--cache %s: got %v, %q; want exit 2 naming the file: form", bad, err, stderr.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a file: URL became a file in the working directory: %v", entries[0].Name())
	}
}

func TestCache_unwritableDirectorySuggestsAnother(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, invocation{args: []string{"accounts", "list"}, env: map[string]string{"XDG_CACHE_HOME": notADir}})
	if r.code == exitOK || !strings.Contains(r.stderr, "--cache memory:") {
		t.Fatalf("got %s; want a failure that suggests --cache memory:", r)
	}
}

func TestCacheImport_emptyInputIsAnErrorUnlessAllowed(t *testing.T) {
	env := map[string]string{"HEXAUTH_CACHE": "memory:"}
	r := runInProcess(t, invocation{args: []string{"cache", "import", "-"}, env: env, stdin: " \n"})
	if r.code != exitUsage || !strings.Contains(r.stderr, "standard input is empty") {
		t.Fatalf("import of empty stdin: got %s; want exit 2", r)
	}
	ok := runInProcess(t, invocation{args: []string{"cache", "import", "-", "--allow-empty"}, env: env})
	if ok.code != exitOK || !strings.Contains(ok.stdout, "read 0 accounts") {
		t.Fatalf("import of empty stdin with --allow-empty: got %s; want exit 0", ok)
	}
}

func TestRefresh_noSourceDoesNotTalkAboutPrompting(t *testing.T) {
	r := runInProcess(t, invocation{args: []string{"refresh", "--client-id", "c", "--authority", "http://127.0.0.1:1", "--scopes", "s", "--cache", "memory:"}})
	if r.code != exitUsage || !strings.Contains(r.stderr, "no refresh token given") || strings.Contains(r.stderr, "prompt") {
		t.Fatalf("got %s; want exit 2 naming the sources, without prompting", r)
	}
}

func TestLogout_usernameAllAndAlreadyGone(t *testing.T) {
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	signInAda(t, env)
	if r := runInProcess(t, invocation{args: []string{"logout"}, env: env}); r.code != exitUsage || !strings.Contains(r.stderr, "--all") {
		t.Fatalf("logout alone: got %s; want exit 2 naming --username and --all", r)
	}
	r := runInProcess(t, invocation{args: []string{"logout", "--all"}, env: env})
	if r.code != exitOK || !strings.Contains(r.stderr, "removed "+adaName) || !strings.Contains(r.stdout, adaName) {
		t.Fatalf("logout --all: got %s; want ada removed", r)
	}
	if tok := runInProcess(t, invocation{args: []string{"token"}, env: env}); tok.code != exitInteraction {
		t.Fatalf("token after logout: got %s; want exit 3", tok)
	}
	again := runInProcess(t, invocation{args: []string{"logout", "--username", adaName}, env: env})
	if again.code != exitOK || !strings.Contains(again.stderr, "nothing to remove") {
		t.Fatalf("second logout: got %s; want exit 0 with a notice", again)
	}
}

func TestLogin_timedOutSaysSo(t *testing.T) {
	srv := startIdP(t)
	l := startLogin(t, with(clientEnv(srv, t.TempDir()), "HEXAUTH_TIMEOUT", "1s"))
	waitForURL(t, l.stderr.lines)
	if code := l.wait(t); code != exitInteraction {
		t.Fatalf("login exit %d; want %d", code, exitInteraction)
	}
	if s := l.stderr.String(); !strings.Contains(s, "login: timed out after 1s") || strings.Contains(s, "sign in again: hexauth login") {
		t.Fatalf("stderr %q; want the timeout named, not 'sign in again'", s)
	}
}

func TestBinary_login_SIGINTExits130(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT on Windows")
	}
	srv := startIdP(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := binaryCommand(t, ctx, invocation{args: []string{"login", "--no-browser"}, env: clientEnv(srv, t.TempDir())})
	stderr := newLineWriter()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForURL(t, stderr.lines)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted || !strings.Contains(stderr.String(), "login: interrupted") {
		t.Fatalf("login after SIGINT: %v; stderr %s; want exit 130 saying it was interrupted", err, stderr)
	}
}

func TestExitAfterSignal(t *testing.T) {
	for _, tc := range []struct {
		code int
		sig  any
		want int
	}{
		{exitOK, syscall.SIGINT, exitOK}, // fake-idp ends normally on a signal
		{exitInteraction, nil, exitInteraction},
		{exitInteraction, syscall.SIGINT, exitInterrupted},
		{exitFailure, syscall.SIGTERM, 143},
	} {
		if got := exitAfterSignal(tc.code, tc.sig); got != tc.want {
			t.Errorf("exitAfterSignal(%d, %v) = %d; want %d", tc.code, tc.sig, got, tc.want)
		}
	}
}

func TestCacheClear_needsYesOffATerminalAndKeepsOtherPartitions(t *testing.T) {
	srv := startIdP(t)
	dir := t.TempDir()
	env := clientEnv(srv, dir)
	signInAda(t, env)
	signInAda(t, with(env, "HEXAUTH_PARTITION", "other"))
	r := runInProcess(t, invocation{args: []string{"cache", "clear"}, env: env, stdin: "y\n"})
	if r.code != exitUsage || !strings.Contains(r.stderr, "pass --yes") {
		t.Fatalf("cache clear off a terminal: got %s; want exit 2 asking for --yes (a pipe's line is no answer)", r)
	}
	if tok := runInProcess(t, invocation{args: []string{"token"}, env: env}); tok.code != exitOK {
		t.Fatalf("token after a refused clear: got %s; want the cache intact", tok)
	}
	r = runInProcess(t, invocation{args: []string{"cache", "clear", "--yes", "-o", "json"}, env: env})
	if r.code != exitOK || !strings.Contains(r.stdout, `"accounts": 1`) || !strings.Contains(r.stderr, "deleted 1 account") {
		t.Fatalf("cache clear --yes: got %s; want one account deleted", r)
	}
	if l := runInProcess(t, invocation{args: []string{"accounts", "list"}, env: map[string]string{"HEXAUTH_CACHE": env["HEXAUTH_CACHE"]}}); l.code != exitOK || l.stdout != "" {
		t.Fatalf("accounts list after clear: got %s; want none (every client's entries gone)", l)
	}
	if tok := runInProcess(t, invocation{args: []string{"token"}, env: with(env, "HEXAUTH_PARTITION", "other")}); tok.code != exitOK {
		t.Fatalf("token in another partition after clear: got %s; want it untouched", tok)
	}
}
