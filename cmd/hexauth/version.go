package main

import (
	"fmt"
	"github.com/spf13/cobra"
	"runtime"
	"runtime/debug"
)

// version is the release version, set at link time with
// -ldflags "-X main.version=v1.2.3"; empty means the build information's.
var version = ""

// versionJSON is the JSON of hexauth version.
type versionJSON struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Go       string `json:"go"`
}

// runVersion prints the version.
func newVersionCmd(e *env) *cobra.Command {
	c, fs := newLeaf("version [--output text|json]", "print the version", "  hexauth version\n  hexauth version -o json")
	cf := addConfigFlags(fs)
	c.RunE = runE(func(args []string) int {
		if code, ok := takeOperand(e, args, nil); !ok {
			return code
		}
		return runVersion(e, cf)
	})
	return c
}

// runVersion prints the version.
func runVersion(e *env, cf *configFlags) int {
	s, err := cf.load(e)
	if err != nil {
		return newPrinter(e, settings{}).fail(err)
	}
	v := buildVersion()
	if s.json {
		newPrinter(e, s).value(v)
		return exitOK
	}
	fmt.Fprintln(e.stdout, versionLine(v))
	return exitOK
}

// buildVersion reads the version from the link-time variable and the build
// information.
func buildVersion() versionJSON {
	v := versionJSON{Version: version, Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if v.Version == "" {
			v.Version = "dev"
		}
		return v
	}
	if v.Version == "" {
		v.Version = info.Main.Version
	}
	if v.Version == "" || v.Version == "(devel)" {
		v.Version = "dev"
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && v.Revision != "" {
		v.Revision += "+dirty"
	}
	return v
}
