package layering

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// azureSDK is the path prefix of the Azure SDK for Go's modules.
const azureSDK = "github.com/Azure/azure-sdk-for-go/"

// The Azure SDK stays in contrib/azcore, a module of its own (issue 16 item 3): no
// package of the core module, nor any of their tests, depends on it, so a program that
// imports hexauth without contrib/azcore never downloads or links azcore.
func TestCoreNeverDependsOnTheAzureSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	// The list must be the real graph, third-party libraries included, or the check
	// below proves nothing.
	if !slices.Contains(deps, "golang.org/x/oauth2") || !slices.Contains(deps, module+"/app") {
		t.Fatalf("go list -deps listed %d packages without golang.org/x/oauth2 or app; want the whole graph", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, azureSDK) {
			t.Errorf("the core module depends on %s; the Azure SDK belongs in contrib/azcore only", d)
		}
	}
	if mods, err := exec.Command("go", "list", "-m", "all").Output(); err != nil {
		t.Fatalf("go list -m all: %v", err)
	} else if strings.Contains(string(mods), azureSDK) {
		t.Errorf("the core module's build list names the Azure SDK; go.mod must not require it")
	}
}
