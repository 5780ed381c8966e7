package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Store drivers a program links only when it imports their store package (app's store
// registry, docs/adapters.md).
const (
	sqliteDriver   = "modernc.org/sqlite"
	postgresDriver = "github.com/jackc/pgx/v5"
	zap            = "go.uber.org/zap"
)

// deps returns, for each package pkg depends on (itself included), the packages that
// import it, from go list -deps. It skips the test when the go tool is missing.
func deps(t *testing.T, pkg string) map[string][]string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("the go tool is not on PATH (%v): cannot list dependencies", err)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	importers := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if _, ok := importers[fields[0]]; !ok {
			importers[fields[0]] = nil
		}
		for _, imp := range fields[1:] {
			importers[imp] = append(importers[imp], fields[0])
		}
	}
	if len(importers) < 20 {
		t.Fatalf("go list -deps %s listed %d packages; want a whole program", pkg, len(importers))
	}
	return importers
}

// under reports the packages of deps at or under the module path mod.
func under(deps map[string][]string, mod string) []string {
	var out []string
	for p := range deps {
		if p == mod || strings.HasPrefix(p, mod+"/") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// A program that uses only the memory store (examples/daemon imports app and nothing
// else of hexauth) links neither SQLite nor Postgres; zap comes only through fx's
// event package (fxevent.ZapLogger), which every fx program links; cmd/hexauth, which
// takes any cache URL, links both drivers.
func TestLinkedPackages(t *testing.T) {
	daemon := deps(t, module+"/examples/daemon")
	for _, driver := range []string{sqliteDriver, postgresDriver} {
		if got := under(daemon, driver); len(got) > 0 {
			t.Errorf("examples/daemon (memory only) depends on %v; want no %s", got, driver)
		}
	}
	if _, ok := daemon[module+"/app"]; !ok {
		t.Fatal("examples/daemon does not depend on app: the check above proves nothing")
	}
	for _, p := range under(daemon, zap) {
		for _, by := range daemon[p] {
			if by != "go.uber.org/fx/fxevent" && !strings.HasPrefix(by, zap) {
				t.Errorf("%s is imported by %s; want zap reached only through go.uber.org/fx/fxevent", p, by)
			}
		}
	}

	cli := deps(t, module+"/cmd/hexauth")
	for _, driver := range []string{sqliteDriver, postgresDriver} {
		if len(under(cli, driver)) == 0 {
			t.Errorf("cmd/hexauth does not depend on %s; want every store linked into the command", driver)
		}
	}
}
