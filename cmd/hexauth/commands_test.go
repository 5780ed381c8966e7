package main

import (
	"strings"
	"testing"
)

func TestLookup_longestPrefix(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantName string
		wantRest []string
		wantOK   bool
	}{
		{[]string{"token", "--force-refresh"}, "token", []string{"--force-refresh"}, true},
		{[]string{"accounts", "list", "--output", "json"}, "accounts list", []string{"--output", "json"}, true},
		{[]string{"accounts", "remove"}, "accounts remove", []string{}, true},
		{[]string{"cache", "import", "f.json", "--force"}, "cache import", []string{"f.json", "--force"}, true},
		{[]string{"accounts"}, "", nil, false},
		{[]string{"accounts", "purge"}, "", nil, false},
		{[]string{"tokens"}, "", nil, false},
	} {
		c, rest, ok := lookup(tc.args)
		if ok != tc.wantOK || c.name != tc.wantName || (ok && strings.Join(rest, " ") != strings.Join(tc.wantRest, " ")) {
			t.Errorf("lookup(%q) = %q, %q, %t; want %q, %q, %t", tc.args, c.name, rest, ok, tc.wantName, tc.wantRest, tc.wantOK)
		}
	}
}

func TestCommands_table_namesAreUniqueAndSummarised(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] || c.summary == "" || c.run == nil {
			t.Errorf("command %q: duplicate, or no summary or run function", c.name)
		}
		seen[c.name] = true
	}
}

func TestExecute_usageAndHelp(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, exitUsage, "", "Usage: hexauth"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, "accounts remove", ""},
		{"--help", []string{"--help"}, exitOK, "fake-idp", ""},
		{"command -h", []string{"token", "-h"}, exitOK, "--force-refresh", ""},
		{"unknown flag", []string{"token", "--frobnicate"}, exitUsage, "", "flag provided but not defined"},
		{"stray argument", []string{"token", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{"missing client", []string{"token", "--scopes", "x", "--cache", "memory:"}, exitUsage, "", "missing --client-id"},
		{"password as a flag", []string{"ropc", "--password", "hunter2"}, exitUsage, "", "flag provided but not defined"},
		{"cache import -h", []string{"cache", "import", "-h"}, exitOK, "Usage: hexauth cache import FILE|-", ""},
		{"cache import without FILE", []string{"cache", "import", "--cache", "memory:"}, exitUsage, "", "missing FILE"},
		{"cache import of two files", []string{"cache", "import", "a.json", "--cache", "memory:", "b.json"}, exitUsage, "", `unexpected argument "b.json" (one FILE only)`},
		{"cache import bad flag after FILE", []string{"cache", "import", "a.json", "--frobnicate"}, exitUsage, "", "flag provided but not defined"},
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
