package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
)

// binary is the hexauth binary TestMain builds once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hexauth-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "create a temporary directory:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "hexauth")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build ./cmd/hexauth:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Fixtures of the fake provider the tests start.
const (
	testClient      = "hexauth-cli"
	webClient       = "web-app"
	webSecret       = "web-secret-value"
	adaName         = "ada@example.com"
	adaPassword     = "ada-secret-password"
	mfaName         = "mfa@example.com"
	mfaPassword     = "mfa-secret-password"
	testScope       = "api://orders/read"
	unknownScope    = "api://payroll/read"
	testTimeoutFlag = "30s"
)

// startIdP starts a fake provider for t with ada (password), an MFA user, a public
// client and a confidential one.
func startIdP(t *testing.T) *idptest.Server {
	t.Helper()
	return idptest.NewTestServer(t, idptest.Config{Provider: idptest.ProviderConfig{
		Users: []idptest.User{
			{Username: adaName, Password: adaPassword, Name: "Ada"},
			{Username: mfaName, Password: mfaPassword, RequireMFA: true},
		},
		Clients: []idptest.Client{{ID: testClient}, {ID: webClient, Secret: webSecret}},
		Scopes:  []string{testScope},
	}})
}

// invocation is one run of the command line: arguments, environment and stdin.
type invocation struct {
	args  []string
	env   map[string]string
	stdin string
}

// result is what a run returned.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// clientEnv returns the environment of a client of srv with its cache in dir.
func clientEnv(srv *idptest.Server, dir string) map[string]string {
	return map[string]string{
		"HEXAUTH_CLIENT_ID": testClient, "HEXAUTH_AUTHORITY": srv.Issuer(), "HEXAUTH_SCOPES": testScope,
		"HEXAUTH_CACHE": filepath.Join(dir, "tokens.db"), "HEXAUTH_TIMEOUT": testTimeoutFlag,
	}
}

// with returns a copy of m with the pairs k1, v1, k2, v2... added.
func with(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// runInProcess runs inv through execute, with inv.env as the whole environment.
func runInProcess(t *testing.T, inv invocation) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(inv.stdin), stdout: &stdout, stderr: &stderr, lookup: mapLookup(inv.env)}
	code := execute(ctx, inv.args, e)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mapLookup looks variables up in m.
func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// binaryCommand returns the binary's command for inv, with inv.env plus PATH and a
// HOME and XDG_CACHE_HOME in a temporary directory as its whole environment.
func binaryCommand(t *testing.T, ctx context.Context, inv invocation) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, inv.args...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}
	for k, v := range inv.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(inv.stdin)
	return cmd
}

// runBinary runs the built binary with inv and returns its outcome.
func runBinary(t *testing.T, inv invocation) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := binaryCommand(t, ctx, inv)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", inv.args, err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// lineWriter is a concurrency-safe writer that also hands each complete line to lines.
type lineWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial string
	lines   chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 100)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.partial += string(p)
	for {
		line, rest, ok := strings.Cut(w.partial, "\n")
		if !ok {
			break
		}
		select {
		case w.lines <- line:
		default:
		}
		w.partial = rest
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitForURL returns the first line of lines that is an http URL.
func waitForURL(t *testing.T, lines <-chan string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the output ended before a sign-in URL was printed")
			}
			if l := strings.TrimSpace(line); strings.HasPrefix(l, "http://") {
				return l
			}
		case <-timeout:
			t.Fatal("no sign-in URL was printed within 30s")
		}
	}
}

var _ io.Writer = (*lineWriter)(nil)
