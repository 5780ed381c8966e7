package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

func TestDemo_run_everyStepBehavesAsDocumented(t *testing.T) {
	r := runInProcess(t, invocation{args: []string{"demo"}})
	if r.code != exitOK {
		t.Fatalf("demo: %s", r)
	}
	probe := &demo{}
	for _, st := range probe.steps() {
		if !strings.Contains(r.stdout, st.name) {
			t.Errorf("the transcript does not mention the step %q", st.name)
		}
	}
	for _, want := range []string{"identity_provider", "cache", "ms\n", "All 10 steps behaved as documented.",
		"tokens.db (removed on exit, partition", "the provider rotated", "PKCE S256 challenge", "signature checked against the provider's JWKS",
		"\nNext: run `hexauth fake-idp`", "`hexauth login`", "`hexauth token`", "see docs/cli.md.\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the transcript does not mention %q:\n%s", want, r.stdout)
		}
	}
	for _, secret := range []string{demoAlicePassword, demoBobPassword} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("the transcript quotes a password")
		}
	}
}

func TestDemo_run_jsonTranscript(t *testing.T) {
	r := runInProcess(t, invocation{args: []string{"demo", "--output", "json"}})
	var tr transcriptJSON
	if err := json.Unmarshal([]byte(r.stdout), &tr); err != nil || r.code != exitOK {
		t.Fatalf("demo --output json: %v\n%s", err, r)
	}
	if !tr.OK || len(tr.Steps) != 10 || !strings.HasPrefix(tr.Provider, "http://127.0.0.1:") || !strings.HasPrefix(tr.Cache, "sqlite://") {
		t.Fatalf("got %+v; want 10 steps on a loopback provider and a SQLite cache", tr)
	}
	wantSources := map[int]string{1: "identity_provider", 2: "cache", 3: "identity_provider", 4: "identity_provider", 5: "identity_provider", 6: "cache"}
	for _, st := range tr.Steps {
		if !st.OK || st.TokenSource != wantSources[st.Step] || st.Detail == "" || st.DurationMS <= 0 {
			t.Errorf("step %+v; want ok with source %q, a detail and a duration", st, wantSources[st.Step])
		}
	}
}

func TestDemo_run_persistentCacheKeepsOtherPartitions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	srv := startIdP(t)
	env := with(clientEnv(srv, filepath.Dir(path)), "HEXAUTH_PASSWORD", adaPassword)
	if r := runInProcess(t, invocation{args: []string{"ropc", "--username", adaName}, env: env}); r.code != exitOK {
		t.Fatalf("ropc: %s", r)
	}
	for i := range 2 { // the second run finds the first one's accounts and clears them
		r := runInProcess(t, invocation{args: []string{"demo", "--cache", path}})
		if r.code != exitOK {
			t.Fatalf("demo run %d on %s: %s", i+1, path, r)
		}
		if strings.Contains(r.stdout, "removed on exit") {
			t.Fatalf("demo run %d on %s says the cache is removed on exit:\n%s", i+1, path, r.stdout)
		}
	}
	r := runInProcess(t, invocation{args: []string{"accounts", "list"}, env: env})
	if r.code != exitOK || !strings.HasPrefix(r.stdout, adaName+"\t") {
		t.Fatalf("accounts of the zero partition after the demo: got %s; want ada's", r)
	}
}

// startTestDemo starts the demo's provider and a memory cache under a one-minute
// context, both ended with the test.
func startTestDemo(t *testing.T) (context.Context, *demo) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	d, err := startDemo(ctx, "memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.shutdown)
	return ctx, d
}

func TestDemo_walk_stopsAtAStepThatMisbehaves(t *testing.T) {
	ctx, d := startTestDemo(t)
	// The provider refuses the refresh of step 3: the silent refresh cannot succeed.
	d.srv.Script(idptest.Fault{Grant: domain.GrantRefreshToken, RefuseRefresh: true})
	var stdout bytes.Buffer
	e := &env{stdout: &stdout}
	p := printer{e: e, now: time.Now}
	tr := d.walk(ctx, e, p)
	if tr.OK || len(tr.Steps) != 3 || tr.Steps[2].OK || !strings.Contains(tr.Steps[2].Detail, "interaction_required") {
		t.Fatalf("got %+v; want the walk to stop at a failed step 3", tr)
	}
	if !strings.Contains(stdout.String(), "FAIL") {
		t.Fatalf("got transcript %q; want the failed step marked FAIL", stdout.String())
	}
	if code := finishDemo(e, p, tr); code != exitFailure || !strings.Contains(stdout.String(), "Step 3 did not behave as documented.") {
		t.Fatalf("got exit %d, transcript %q; want exit %d and the verdict", code, stdout.String(), exitFailure)
	}
}

func TestDemo_walk_stopsWhenTheRefreshTokenIsNotRotated(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := startDemoWith(ctx, "memory:", nil, func(pc *idptest.ProviderConfig) { pc.RotateRefreshTokens = false })
	if err != nil {
		t.Fatal(err)
	}
	defer d.shutdown()
	var stdout bytes.Buffer
	e := &env{stdout: &stdout}
	tr := d.walk(ctx, e, printer{e: e, now: time.Now})
	if tr.OK || len(tr.Steps) != 3 || !strings.Contains(tr.Steps[2].Detail, "refresh token rotated: false") {
		t.Fatalf("got %+v; want step 3 to notice the refresh token did not change", tr)
	}
}

func TestDemo_steps_detectAnUnexpectedSource(t *testing.T) {
	ctx, d := startTestDemo(t)
	if _, _, err := d.stepROPC(ctx); err != nil {
		t.Fatal(err)
	}
	// A token fetched again by force is not the one the cache-hit step must see.
	if _, err := d.pc.AcquireTokenSilent(ctx, demoScopes, d.alice, app.WithForceRefresh()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.stepCacheHit(ctx); err == nil || !strings.Contains(err.Error(), "not as documented") {
		t.Fatalf("got %v; want the cache-hit step to notice the token changed", err)
	}
}
