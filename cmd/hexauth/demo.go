package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/cmd/hexauth/internal/useragent"
	"github.com/hexauth/hexauth/domain"
	"github.com/spf13/cobra"
)

// The demo's fixtures: a fake provider with two users and one public client. The
// passwords are fixtures of a fake provider and are never printed.
const (
	demoClientID      = "hexauth-demo"
	demoPartition     = "hexauth-demo"
	demoAlice         = "alice@example.com"
	demoBob           = "bob@example.com"
	demoAlicePassword = "alice-demo-password"
	demoBobPassword   = "bob-demo-password"
	demoTokenLifetime = time.Hour
	demoTimeout       = 2 * time.Minute
)

var demoScopes = []string{"api://demo/orders.read"}

// demo is the state of one run: the fake provider and the client share one settable
// clock, so "time passes" is a clock Advance, not a sleep.
type demo struct {
	clock   *memory.Clock
	srv     *idptest.Server
	agent   *useragent.Agent
	browser *recordingBrowser // the agent, as the client's browser
	root    *app.PublicClient
	pc      *app.PublicClient // the demo's partition of root
	cache   string            // the cache URL as given: print app.RedactedURL(cache), never cache
	temp    bool              // cache is a file in a temporary directory shutdown removes
	close   []func()

	// What the steps hand each other.
	alice, bob app.Account
	lastToken  domain.Secret
}

// demoStep is one step of the demo: it returns where its token came from (if it got
// one) and a sentence on what happened, or an error when the engine did not behave as
// documented.
type demoStep struct {
	name string
	run  func(ctx context.Context) (domain.TokenSource, string, error)
}

// stepJSON is one step of the transcript.
type stepJSON struct {
	Step        int     `json:"step"`
	Name        string  `json:"name"`
	OK          bool    `json:"ok"`
	TokenSource string  `json:"token_source,omitempty"`
	DurationMS  float64 `json:"duration_ms"`
	Detail      string  `json:"detail"`
}

// transcriptJSON is the JSON output of hexauth demo.
type transcriptJSON struct {
	Provider string     `json:"provider"`
	Cache    string     `json:"cache"`
	Steps    []stepJSON `json:"steps"`
	OK       bool       `json:"ok"`
}

// runDemo walks through every flow against an in-process fake provider and prints a
// transcript; it exits 1 when a step does not behave as documented. It reads no
// HEXAUTH_* variable and no config file: it never touches the user's real cache
// unless --cache names it (and then only the partition "hexauth-demo").
func newDemoCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("demo [--cache PATH|URL] [--output text|json]",
		"run every flow against a built-in fake provider and print a transcript",
		"  hexauth demo\n  hexauth demo -o json --cache /tmp/demo.db")
	cacheFlag := fs.String("cache", "", "token cache to use (default: a SQLite file in a temporary directory)")
	output := fs.StringP("output", "o", "text", "output format: text or json")
	verbose := fs.Bool("verbose", false, "log diagnostics (never secrets) to standard error")
	c.RunE = runE(func(args []string) int {
		if code, ok := takeOperand(e, args, nil); !ok {
			return code
		}
		return runDemo(ctx, e, *cacheFlag, *output, *verbose)
	})
	return c
}

// runDemo runs the demo with demo's flags.
func runDemo(ctx context.Context, e *env, cacheFlag, output string, verbose bool) int {
	s, err := toSettings(map[string]string{setOutput.key: output})
	p := newPrinter(e, s)
	if err != nil {
		return p.fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	d, err := startDemo(ctx, cacheFlag, newLogger(e.stderr, verbose))
	if err != nil {
		return p.fail(err)
	}
	defer d.shutdown()
	return finishDemo(e, p, d.walk(ctx, e, p))
}

// walk runs the steps in order, printing each as it ends in text mode, and stops at
// the first that does not behave as documented: later steps build on it.
func (d *demo) walk(ctx context.Context, e *env, p printer) transcriptJSON {
	t := transcriptJSON{Provider: d.srv.Issuer(), Cache: app.RedactedURL(d.cache), OK: true}
	if !p.json {
		removed := ""
		if d.temp {
			removed = "removed on exit, "
		}
		fmt.Fprintf(e.stdout, "hexauth demo: every flow against a fake provider, offline\n  provider  %s (users %s and %s, public client %s)\n  cache     %s (%spartition %q)\n\n",
			t.Provider, demoAlice, demoBob, demoClientID, t.Cache, removed, demoPartition)
	}
	for i, st := range d.steps() {
		start := time.Now()
		source, detail, err := st.run(ctx)
		r := stepJSON{Step: i + 1, Name: st.name, OK: err == nil, TokenSource: string(source),
			DurationMS: float64(time.Since(start).Microseconds()) / 1000, Detail: detail}
		if err != nil {
			r.Detail = strings.TrimPrefix(err.Error(), "hexauth: ")
		}
		t.Steps = append(t.Steps, r)
		if !p.json {
			printStep(e, r)
		}
		if err != nil {
			t.OK = false
			break
		}
	}
	return t
}

// demoNext is the transcript's last line: where to go from the demo.
const demoNext = "Next: run `hexauth fake-idp` and, in another terminal, `hexauth login` (or `hexauth ropc`) and `hexauth token` against it; see docs/cli.md."

// finishDemo prints the verdict and returns the exit code.
func finishDemo(e *env, p printer, t transcriptJSON) int {
	if p.json {
		p.value(t)
	} else if t.OK {
		fmt.Fprintf(e.stdout, "\nAll %d steps behaved as documented.\n%s\n", len(t.Steps), demoNext)
	} else {
		fmt.Fprintf(e.stdout, "\nStep %d did not behave as documented.\n%s\n", len(t.Steps), demoNext)
	}
	if !t.OK {
		return exitFailure
	}
	return exitOK
}

// printStep prints one step of the text transcript.
func printStep(e *env, r stepJSON) {
	status, source := "ok", r.TokenSource
	if !r.OK {
		status = "FAIL"
	}
	if source == "" {
		source = "-"
	}
	fmt.Fprintf(e.stdout, "%2d. %-45s %-4s  %-17s %7.1fms\n    %s\n", r.Step, r.Name, status, source, r.DurationMS, r.Detail)
}

// startDemo starts the fake provider and opens the client on the cache. Whatever it
// opened is closed by shutdown, also when it fails.
func startDemo(ctx context.Context, cacheFlag string, logger *slog.Logger) (*demo, error) {
	return startDemoWith(ctx, cacheFlag, logger, nil)
}

// startDemoWith is startDemo with the fake provider's configuration changed by adjust
// (when not nil): tests make the provider misbehave with it.
func startDemoWith(ctx context.Context, cacheFlag string, logger *slog.Logger, adjust func(*idptest.ProviderConfig)) (d *demo, err error) {
	d = &demo{clock: memory.NewClock(time.Now().UTC().Truncate(time.Second)), agent: useragent.New()}
	d.browser = &recordingBrowser{agent: d.agent}
	d.close = append(d.close, d.agent.Close)
	defer func() {
		if err != nil {
			d.shutdown()
		}
	}()
	pc := idptest.ProviderConfig{
		Clock: d.clock,
		Users: []idptest.User{
			{Username: demoAlice, Password: demoAlicePassword, Name: "Alice"},
			{Username: demoBob, Password: demoBobPassword, Name: "Bob"},
		},
		Clients:             []idptest.Client{{ID: demoClientID}},
		Scopes:              demoScopes,
		TokenLifetime:       demoTokenLifetime,
		RotateRefreshTokens: true,
	}
	if adjust != nil {
		adjust(&pc)
	}
	d.srv, err = idptest.NewServer(idptest.Config{Provider: pc})
	if err != nil {
		return d, err
	}
	d.close = append(d.close, d.srv.Close)
	if d.cache, err = d.demoCache(cacheFlag); err != nil {
		return d, err
	}
	d.root, err = app.NewPublicClient(ctx, app.Config{
		ClientID: demoClientID, Authority: d.srv.Issuer(), Cache: d.cache,
		Clock: d.clock, Browser: d.browser, Logger: logger,
	})
	if err != nil {
		return d, err
	}
	d.close = append(d.close, func() { _ = d.root.Close() })
	d.pc = d.root.Partition(demoPartition)
	return d, d.clearPartition(ctx)
}

// clearPartition removes what an earlier demo left in the demo's partition of a
// --cache that persists.
func (d *demo) clearPartition(ctx context.Context) error {
	left, err := d.pc.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range left {
		if err := d.pc.RemoveAccount(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// shutdown closes what startDemo opened, in reverse order.
func (d *demo) shutdown() {
	for i := len(d.close) - 1; i >= 0; i-- {
		d.close[i]()
	}
}

// demoCache returns the cache URL of the demo: --cache, or a SQLite file in a new
// temporary directory that shutdown removes.
func (d *demo) demoCache(cacheFlag string) (string, error) {
	if cacheFlag != "" {
		return resolveCache(cacheFlag)
	}
	dir, err := os.MkdirTemp("", "hexauth-demo-")
	if err != nil {
		return "", fmt.Errorf("hexauth: demo: create a temporary directory: %w", err)
	}
	d.close = append(d.close, func() { _ = os.RemoveAll(dir) })
	d.temp = true
	return "sqlite://" + filepath.ToSlash(filepath.Join(dir, "tokens.db")), nil
}
