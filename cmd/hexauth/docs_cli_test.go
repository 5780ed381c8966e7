package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocs_everyExampleCommandAndFlagExists parses every hexauth command line shown in
// docs/cli.md (code lines and `inline` examples) and checks that the command exists and
// takes every flag the example gives it, so the page cannot drift from the binary.
func TestDocs_everyExampleCommandAndFlagExists(t *testing.T) {
	data, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	root := newRootCmd(context.Background(), &env{lookup: mapLookup(nil)})
	root.InitDefaultHelpCmd() // cobra adds them on Execute
	root.InitDefaultCompletionCmd()
	examples := regexp.MustCompile("(?:^\\s*|[`$|(] ?)hexauth ([a-z][a-z-]*(?: [^`\n|#)]*)?)")
	checked := 0
	for _, line := range strings.Split(string(data), "\n") {
		for _, m := range examples.FindAllStringSubmatch(line, -1) {
			words := strings.Fields(m[1])
			cmd, rest, err := root.Find(words)
			if err != nil || cmd == root {
				if words[0] == "for" || words[0] == "never" || words[0] == "gets" || words[0] == "caches" {
					continue // prose: "hexauth for users of ...", "hexauth never ..."
				}
				t.Errorf("docs/cli.md: %q: no such command", "hexauth "+m[1])
				continue
			}
			for _, w := range rest {
				if !strings.HasPrefix(w, "--") || w == "--" {
					continue
				}
				name, _, _ := strings.Cut(strings.TrimPrefix(w, "--"), "=")
				name = strings.TrimRight(name, ".,;:'\"")
				if name == "" || name == "help" || name == "forse-refresh" { // the unknown-flag example
					continue
				}
				if cmd.Flags().Lookup(name) == nil {
					t.Errorf("docs/cli.md: %q: %s takes no --%s", "hexauth "+m[1], cmd.CommandPath(), name)
				}
			}
			checked++
		}
	}
	if checked < 40 {
		t.Fatalf("checked %d examples; the pattern no longer finds them", checked)
	}
}
