package main

import (
	"context"
	"fmt"
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
func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "version", "[--output text|json]")
	cf := addConfigFlags(fs)
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	s, err := cf.load(e)
	if err != nil {
		return newPrinter(e, settings{}).fail(err)
	}
	v := buildVersion()
	if s.json {
		newPrinter(e, s).value(v)
		return exitOK
	}
	line := "hexauth " + v.Version
	if v.Revision != "" {
		line += " (" + v.Revision + ")"
	}
	fmt.Fprintf(e.stdout, "%s %s %s/%s\n", line, v.Go, runtime.GOOS, runtime.GOARCH)
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
