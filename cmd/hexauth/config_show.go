package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/hexauth/hexauth/app"
	"github.com/spf13/cobra"
)

// configShowJSON is the JSON result of config show. It never holds a secret: secrets
// are not settings (they never come from a config file), and only whether one is set,
// and where, is shown.
type configShowJSON struct {
	Files    []string                   `json:"files"`
	Profile  string                     `json:"profile,omitempty"`
	Settings map[string]settingShowJSON `json:"settings"`
	Secrets  map[string]string          `json:"secrets"` // name → where it is set; absent when unset
}

type settingShowJSON struct {
	Value  string `json:"value"`
	Source string `json:"source"` // "flag --x", "env HEXAUTH_X", "file PATH [profile NAME]" or "default"
}

// newConfigCmd groups config show.
func newConfigCmd(ctx context.Context, e *env) *cobra.Command {
	return newGroupCmd(e, "config", "show the effective configuration and where each setting comes from",
		"  hexauth config show\n  hexauth config show --profile work -o json", newConfigShowCmd(ctx, e))
}

// newConfigShowCmd prints the effective settings with their sources: the flags given
// to it, the environment, the config files and the profile, as any command would merge
// them.
func newConfigShowCmd(_ context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("show [--config FILE] [--profile NAME] [flags]", "print the effective settings and where each comes from (no secrets)",
		"  hexauth config show\n  hexauth config show --profile work -o json")
	flags := addConfigFlags(fs, allSettings...)
	c.RunE = runE(func(args []string) int {
		if code, ok := takeOperand(e, args, nil); !ok {
			return code
		}
		r, err := flags.resolve(e)
		if err != nil {
			return newPrinter(e, settings{}).fail(err)
		}
		s, err := toSettings(map[string]string{setOutput.key: r.values[setOutput.key].value})
		if err != nil {
			return newPrinter(e, settings{}).fail(err)
		}
		out := configShowJSON{Files: append([]string{}, r.files...), Profile: r.profile,
			Settings: map[string]settingShowJSON{}, Secrets: map[string]string{}}
		for _, st := range allSettings {
			v, ok := r.values[st.key]
			if !ok {
				v = valueSource{source: "default"}
			}
			if st == setCache && v.value != "" {
				v.value = app.RedactedURL(v.value) // a Postgres URL may carry a password
			}
			out.Settings[st.key] = settingShowJSON{Value: v.value, Source: v.source}
		}
		for _, sec := range []struct{ name, env string }{
			{"client_secret", "HEXAUTH_CLIENT_SECRET"}, {"password", "HEXAUTH_PASSWORD"}, {"refresh_token", "HEXAUTH_REFRESH_TOKEN"},
		} {
			if e.getenv(sec.env) != "" {
				out.Secrets[sec.name] = "env " + sec.env
			}
		}
		p := newPrinter(e, s)
		if p.json {
			p.value(out)
			return exitOK
		}
		files := "none"
		if len(out.Files) > 0 {
			files = joinPaths(out.Files)
		}
		fmt.Fprintf(e.stdout, "config files: %s\n", files)
		if out.Profile != "" {
			fmt.Fprintf(e.stdout, "profile: %s\n", out.Profile)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		for _, st := range allSettings {
			v := out.Settings[st.key]
			val := v.Value
			if val == "" {
				val = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", st.key, val, v.Source)
		}
		for _, name := range []string{"client_secret", "password", "refresh_token"} {
			if where, ok := out.Secrets[name]; ok {
				fmt.Fprintf(tw, "%s\t(set, not shown)\t%s\n", name, where)
			}
		}
		_ = tw.Flush()
		return exitOK
	})
	return c
}
