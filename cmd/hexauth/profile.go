package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// valueSource is a setting's value and where it came from, for config show.
type valueSource struct {
	value  string
	source string // "flag --x", "env HEXAUTH_X", "file PATH", "file PATH profile NAME"
}

// resolved is the merged configuration of a command, before checking.
type resolved struct {
	values  map[string]valueSource
	files   []string // the config files read, lowest precedence first
	profile string
}

// resolve merges, lowest precedence first: the default config file
// (os.UserConfigDir()/hexauth/config.json, when it exists), the file --config or
// HEXAUTH_CONFIG names, the environment, then the flags. Within a file, the profile
// --profile (HEXAUTH_PROFILE) names wins over the file's top level; a profile that no
// file defines is a usage error, not a silent fall-back to the defaults.
func (cf *configFlags) resolve(e *env) (resolved, error) {
	r := resolved{values: map[string]valueSource{}, profile: cf.profile}
	if r.profile == "" {
		r.profile = e.getenv("HEXAUTH_PROFILE")
	}
	var files []configFile
	if def := defaultConfigPath(e); def != "" {
		switch f, err := readConfigFile(def); {
		case err == nil:
			files = append(files, f)
		case !errors.Is(statErr(def), fs.ErrNotExist):
			return resolved{}, err
		}
	}
	explicit := cf.config
	if explicit == "" {
		explicit = e.getenv("HEXAUTH_CONFIG")
	}
	if explicit != "" {
		f, err := readConfigFile(explicit)
		if err != nil {
			return resolved{}, err
		}
		files = append(files, f)
	}
	found := false
	for _, f := range files {
		r.files = append(r.files, f.path)
		for k, v := range f.values {
			r.values[k] = valueSource{v, "file " + f.path}
		}
		if p, ok := f.profiles[r.profile]; ok && r.profile != "" {
			found = true
			for k, v := range p {
				r.values[k] = valueSource{v, "file " + f.path + " profile " + r.profile}
			}
		}
	}
	if r.profile != "" && !found {
		if len(files) == 0 {
			return resolved{}, usageErrorf("profile %q: no config file (looked for %s; --config names another)", r.profile, orNone(defaultConfigPath(e)))
		}
		return resolved{}, usageErrorf("profile %q is in no config file (%s): add it under \"profiles\"", r.profile, joinPaths(r.files))
	}
	for _, s := range allSettings {
		if v := e.getenv(s.envName()); v != "" {
			r.values[s.key] = valueSource{v, "env " + s.envName()}
		}
	}
	for k, v := range cf.given {
		r.values[k] = valueSource{v, "flag --" + setting{key: k}.flagName()}
	}
	return r, nil
}

// statErr is os.Stat's error.
func statErr(path string) error {
	_, err := os.Stat(path)
	return err
}

// defaultConfigPath is os.UserConfigDir()/hexauth/config.json, computed from e's
// environment (os.UserConfigDir reads the process's), or "" when there is none.
func defaultConfigPath(e *env) string {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = e.getenv("AppData")
	case "darwin", "ios":
		if h := e.getenv("HOME"); h != "" {
			dir = filepath.Join(h, "Library", "Application Support")
		}
	case "plan9":
		if h := e.getenv("home"); h != "" {
			dir = filepath.Join(h, "lib")
		}
	default:
		dir = e.getenv("XDG_CONFIG_HOME")
		if dir == "" || !filepath.IsAbs(dir) {
			if h := e.getenv("HOME"); h != "" {
				dir = filepath.Join(h, ".config")
			} else {
				dir = ""
			}
		}
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "hexauth", "config.json")
}

func orNone(path string) string {
	if path == "" {
		return "none: no user config directory"
	}
	return path
}

func joinPaths(paths []string) string { return strings.Join(paths, ", ") }
