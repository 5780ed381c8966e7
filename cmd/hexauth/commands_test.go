package main

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestExecute_usageAndHelp(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, exitUsage, "", "Usage: hexauth <command>"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, "The token cache:\n  accounts", ""},
		{"--help", []string{"--help"}, exitOK, "fake-idp", ""},
		{"command -h", []string{"token", "-h"}, exitOK, "--force-refresh", ""},
		{"unknown flag", []string{"token", "--frobnicate"}, exitUsage, "", "hexauth: unknown flag --frobnicate\nhexauth: see 'hexauth token --help'\n"},
		{"unknown flag suggests", []string{"token", "--forse-refresh"}, exitUsage, "", "hexauth: unknown flag --forse-refresh\nhexauth: did you mean --force-refresh?"},
		{"unknown command suggests", []string{"tokn"}, exitUsage, "", "hexauth: unknown command \"tokn\"\nhexauth: did you mean 'hexauth token'?"},
		{"unknown subcommand", []string{"accounts", "purge"}, exitUsage, "", `unknown command "purge"`},
		{"help CMD", []string{"help", "token"}, exitOK, "Usage: hexauth token --client-id ID", ""},
		{"help of a subcommand", []string{"help", "cache", "import"}, exitOK, "Usage: hexauth cache import FILE|-", ""},
		{"help of an unknown topic", []string{"help", "toke"}, exitUsage, "", "hexauth: no help topic \"toke\"\nhexauth: did you mean 'hexauth help token'?"},
		{"group help", []string{"accounts", "-h"}, exitOK, "remove", ""},
		{"cache group help", []string{"cache", "--help"}, exitOK, "import", ""},
		{"group alone", []string{"cache"}, exitUsage, "", "Usage: hexauth cache <command>"},
		{"help lists examples", []string{"ropc", "--help"}, exitOK, "Examples:\n  HEXAUTH_PASSWORD=", ""},
		{"a value is required", []string{"token", "--scopes"}, exitUsage, "", "hexauth: flag --scopes needs a value"},
		{"single-dash long flag", []string{"token", "-scopes", "x", "-cache", "memory:"}, exitUsage, "", "missing --client-id"},
		{"stray argument", []string{"token", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{"missing client", []string{"token", "--scopes", "x", "--cache", "memory:"}, exitUsage, "", "missing --client-id"},
		{"password as a flag", []string{"ropc", "--password=hunter2"}, exitUsage, "", "use --password-file, --password-stdin or HEXAUTH_PASSWORD"},
		{"cache import -h", []string{"cache", "import", "-h"}, exitOK, "Usage: hexauth cache import FILE|-", ""},
		{"cache import without FILE", []string{"cache", "import", "--cache", "memory:"}, exitUsage, "", "missing FILE"},
		{"cache import of two files", []string{"cache", "import", "a.json", "--cache", "memory:", "b.json"}, exitUsage, "", `unexpected argument "b.json" (one FILE only)`},
		{"cache import bad flag after FILE", []string{"cache", "import", "a.json", "--frobnicate"}, exitUsage, "", "unknown flag --frobnicate"},
		{"cache export takes no argument", []string{"cache", "export", "out.json"}, exitUsage, "", `unexpected argument "out.json"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, invocation{args: tc.args})
			if r.code != tc.wantCode || !strings.Contains(r.stdout, tc.wantStdout) || !strings.Contains(r.stderr, tc.wantStderr) {
				t.Fatalf("got %s; want exit %d, stdout with %q, stderr with %q", r, tc.wantCode, tc.wantStdout, tc.wantStderr)
			}
		})
	}
}

func TestExecute_flagHelpIsPrintedOnce(t *testing.T) {
	r := runInProcess(t, invocation{args: []string{"ropc", "-h"}})
	if n := strings.Count(r.stdout, "Usage: hexauth ropc"); n != 1 || r.stderr != "" {
		t.Fatalf("got %s; want the usage once on stdout and nothing on stderr", r)
	}
}

func TestVersion_run(t *testing.T) {
	r := runInProcess(t, invocation{args: []string{"version"}})
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "hexauth ") || !strings.Contains(r.stdout, "go1.") {
		t.Fatalf("got %s; want hexauth <version> with the Go version", r)
	}
	j := runInProcess(t, invocation{args: []string{"version", "--output", "json"}})
	if j.code != exitOK || !strings.Contains(j.stdout, `"version":`) || !strings.Contains(j.stdout, `"go": "go1.`) {
		t.Fatalf("got %s; want the version as JSON", j)
	}
}

func TestExecute_flagErrorsAreTwoLinesAndNeverEchoAValue(t *testing.T) {
	for _, args := range [][]string{
		{"token", "--frobnicate=hunter2"},
		{"ropc", "--password", "hunter2"},
		{"ropc", "-phunter2"},
		{"refresh", "--refresh-token=hunter2"},
	} {
		r := runInProcess(t, invocation{args: args})
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != exitUsage || len(lines) != 2 || r.stdout != "" || strings.Contains(r.stderr, "hunter2") {
			t.Errorf("%q: got %s; want exit 2 and two lines on stderr without the value", args, r)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "hexauth: ") {
				t.Errorf("%q: line %q does not start with the one prefix \"hexauth: \"", args, l)
			}
		}
	}
}

func TestExecute_versionFlagAndOutputShorthand(t *testing.T) {
	v := runInProcess(t, invocation{args: []string{"--version"}})
	if v.code != exitOK || !strings.HasPrefix(v.stdout, "hexauth ") || !strings.Contains(v.stdout, "go1.") {
		t.Fatalf("--version: got %s; want the version line on stdout", v)
	}
	j := runInProcess(t, invocation{args: []string{"version", "-o", "json"}})
	if j.code != exitOK || !strings.Contains(j.stdout, `"version":`) {
		t.Fatalf("version -o json: got %s; want the version as JSON", j)
	}
	e := runInProcess(t, invocation{args: []string{"token", "-o", "json", "--client-id", "c", "--authority", "http://127.0.0.1:1", "--scopes", "s", "--cache", "memory:"}})
	if e.code != exitInteraction || !strings.Contains(e.stdout, `"error_class": "no_tokens"`) {
		t.Fatalf("token -o json: got %s; want a JSON error object", e)
	}
}

func TestExecute_completion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_hexauth", "zsh": "#compdef hexauth", "fish": "complete -c hexauth", "powershell": "Register-ArgumentCompleter"} {
		r := runInProcess(t, invocation{args: []string{"completion", shell}})
		if r.code != exitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("completion %s: exit %d, stdout without %q (stderr %q)", shell, r.code, want, r.stderr)
		}
	}
	// Flags complete from the command's own flags, offline.
	r := runInProcess(t, invocation{args: []string{"__complete", "token", "--force"}})
	if r.code != exitOK || !strings.Contains(r.stdout, "--force-refresh") {
		t.Fatalf("__complete token --force: got %s; want --force-refresh offered", r)
	}
	v := runInProcess(t, invocation{args: []string{"__complete", "token", "--client-auth", ""}})
	if v.code != exitOK || !strings.Contains(v.stdout, "client_secret_post\nprivate_key_jwt") {
		t.Fatalf("__complete token --client-auth: got %s; want the methods offered", v)
	}
}

func TestExecute_everyCommandHasAnExample(t *testing.T) {
	root := newRootCmd(context.Background(), &env{lookup: mapLookup(nil)})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "help" && c.Name() != "completion" && !strings.HasPrefix(c.Name(), "__") && c.Example == "" && c.Parent() != nil && c.Parent().Name() != "completion" {
			t.Errorf("%s has no example in its help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
