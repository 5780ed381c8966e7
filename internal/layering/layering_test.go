package layering

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/hexauth/hexauth"

type pkg struct {
	ImportPath string
	Imports    []string
}

// listPackages runs `go list -json ./...` from the module root.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found %d packages; want the whole module", len(pkgs))
	}
	return pkgs
}

func isStd(path string) bool { return !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") }

// isIOLibrary reports whether a standard-library import talks HTTP or SQL.
func isIOLibrary(imp string) bool {
	return imp == "net/http" || strings.HasPrefix(imp, "net/http/") || imp == "database/sql" || strings.HasPrefix(imp, "database/sql/")
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

// layer returns the layer of a module package: its first one or two path elements.
func layer(p string) string {
	r := rel(p)
	parts := strings.Split(r, "/")
	if r == "ports/mocks" {
		return r
	}
	if len(parts) >= 2 && (parts[0] == "adapters" || parts[0] == "internal" || parts[0] == "cmd") {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// allowed reports whether a package in layer `from` may import `imp`.
func allowed(from, imp string) (bool, string) {
	inModule := strings.HasPrefix(imp, module)
	to := ""
	if inModule {
		to = layer(imp)
	}
	switch {
	case imp == "go.uber.org/fx" || strings.HasPrefix(imp, "go.uber.org/fx/"):
		return from == "app", "only app imports fx"
	case strings.HasPrefix(imp, "go.opentelemetry.io/otel/sdk") || strings.HasPrefix(imp, "go.opentelemetry.io/contrib/"):
		return false, "the library uses the OpenTelemetry API only: the SDK and otelhttp are for tests and programs"
	case (from == "domain" || from == "usecases" || from == "ports") && isIOLibrary(imp):
		return false, from + " never imports an HTTP or SQL library"
	case isStd(imp):
		return true, ""
	}
	switch {
	case from == "domain":
		return false, "domain imports only the standard library"
	case from == "ports":
		return to == "domain", "ports imports only domain and the standard library"
	case from == "ports/mocks":
		// ports too: a port's own value types (ports.Acquisition) appear in its methods.
		return to == "domain" || to == "ports" || strings.HasPrefix(imp, "github.com/golang/mock/"), "the mocks import only domain, ports and gomock"
	case from == "usecases":
		return to == "domain" || to == "ports" || strings.HasPrefix(imp, "golang.org/x/sync"),
			"usecases imports only domain, ports, golang.org/x/sync and the standard library"
	case from == "conformance":
		return to == "domain" || to == "ports", "conformance imports only domain, ports and the standard library"
	case from == "bearer":
		return to == "domain", "bearer (net/http glue) imports only domain and the standard library"
	case from == "msalcache":
		return to == "domain", "msalcache (a pure codec) imports only domain and the standard library"
	case strings.HasPrefix(from, "adapters/"):
		if !inModule {
			return true, ""
		}
		return to == "domain" || to == "ports" || to == from || strings.HasPrefix(to, "internal/"),
			"an adapter imports domain, ports, internal packages and its own libraries, never another adapter, usecases or app"
	case from == "internal/flowtest":
		return !strings.HasPrefix(to, "cmd/") && to != "app", "flowtest (test support) wires use cases, adapters and conformance, never app or cmd"
	case strings.HasPrefix(from, "internal/"):
		// internal/jose and internal/secretpack are libraries of the module's own, leaves
		// that import only the standard library and go-jose: one JWS path (DESIGN §5), the
		// fake provider's engine signing through it as the adapters verify through it; one
		// secret packing, the memory store's and the SQL stores'.
		return !inModule || to == "domain" || to == "ports" || to == from || to == "internal/jose" || to == "internal/secretpack",
			"internal packages import only domain, ports, internal/jose, internal/secretpack and libraries"
	case from == "app":
		return !strings.HasPrefix(to, "cmd/"), "app does not import the command line"
	}
	return true, ""
}

func TestDependencyRule(t *testing.T) {
	for _, p := range listPackages(t) {
		from := layer(p.ImportPath)
		for _, imp := range p.Imports {
			if ok, rule := allowed(from, imp); !ok {
				t.Errorf("%s imports %s: %s (DESIGN §1)", rel(p.ImportPath), imp, rule)
			}
		}
	}
}

// TestDependencyRule_catchesViolations keeps the rule itself honest.
func TestDependencyRule_catchesViolations(t *testing.T) {
	for _, tc := range []struct{ from, imp string }{
		{"domain", "github.com/jmoiron/sqlx"},
		{"domain", module + "/ports"},
		{"ports", "github.com/golang/mock/gomock"},
		{"usecases", module + "/adapters/memory"},
		{"usecases", "net/http"},
		{"domain", "database/sql"},
		{"adapters/sqlite", module + "/adapters/memory"},
		{"adapters/sqlite", module + "/usecases"},
		{"adapters/memory", "go.uber.org/fx"},
		{"conformance", module + "/adapters/memory"},
		{"msalcache", module + "/ports"},
		{"msalcache", module + "/adapters/memory"},
		{"msalcache", "github.com/jmoiron/sqlx"},
		{"bearer", module + "/app"},
		{"bearer", "golang.org/x/oauth2"},
		{"usecases", "go.opentelemetry.io/otel/trace"},
		{"adapters/otelobserver", "go.opentelemetry.io/otel/sdk/trace"},
		{"app", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"},
	} {
		if ok, _ := allowed(tc.from, tc.imp); ok {
			t.Errorf("allowed(%q, %q) = true; want a violation", tc.from, tc.imp)
		}
	}
	if ok, _ := allowed("app", "go.uber.org/fx"); !ok {
		t.Error("app may import fx")
	}
	if ok, _ := allowed("adapters/otelobserver", "go.opentelemetry.io/otel/trace"); !ok {
		t.Error("an adapter may import the OpenTelemetry API")
	}
	if ok, _ := allowed("msalcache", module+"/domain"); !ok {
		t.Error("msalcache may import domain")
	}
}
