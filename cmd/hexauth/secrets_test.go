package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSecretSource_read_sources(t *testing.T) {
	file := writeFile(t, "pw", "from-file\r\n")
	for _, tc := range []struct {
		name  string
		src   secretSource
		env   map[string]string
		stdin string
		want  string
	}{
		{"stdin", secretSource{stdin: true}, map[string]string{"HEXAUTH_PASSWORD": "from-env"}, "from-stdin\nmore\n", "from-stdin"},
		{"file beats env", secretSource{file: file}, map[string]string{"HEXAUTH_PASSWORD": "from-env"}, "", "from-file"},
		{"env", secretSource{}, map[string]string{"HEXAUTH_PASSWORD": "from-env"}, "", "from-env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			src.what, src.env, src.flag = "password", "HEXAUTH_PASSWORD", "password"
			e := &env{stdin: strings.NewReader(tc.stdin), lookup: mapLookup(tc.env)}
			got, err := src.read(context.Background(), e, false)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSecretSource_read_refusals(t *testing.T) {
	empty := writeFile(t, "empty", "\n")
	for _, tc := range []struct {
		name     string
		src      secretSource
		optional bool
		want     string
	}{
		{"both flags", secretSource{stdin: true, file: empty}, false, "not both"},
		{"empty file", secretSource{file: empty}, false, "is empty"},
		{"missing file", secretSource{file: filepath.Join(t.TempDir(), "none")}, false, "read the password file"},
		{"nothing, stdin not a terminal", secretSource{prompt: true}, false, "not a terminal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			src.what, src.env, src.flag = "password", "HEXAUTH_PASSWORD", "password"
			e := &env{stdin: strings.NewReader(""), lookup: mapLookup(nil)}
			_, err := src.read(context.Background(), e, tc.optional)
			if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want a usage error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestSecretSource_read_optionalMissingIsEmpty(t *testing.T) {
	src := secretSource{what: "client secret", env: "HEXAUTH_CLIENT_SECRET", flag: "client-secret"}
	got, err := src.read(context.Background(), &env{lookup: mapLookup(nil)}, true)
	if err != nil || got != "" {
		t.Fatalf("got %q, %v; want no secret and no error", got, err)
	}
}

func TestSecretSource_read_devNullIsNotATerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Skip("no", os.DevNull)
	}
	defer null.Close()
	src := secretSource{what: "password", env: "HEXAUTH_PASSWORD", flag: "password", prompt: true}
	var stderr strings.Builder
	_, err = src.read(context.Background(), &env{stdin: null, stderr: &stderr, lookup: mapLookup(nil)}, false)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "not a terminal") || stderr.Len() != 0 {
		t.Fatalf("got %v, prompt %q; want a usage error before any prompt", err, stderr.String())
	}
}

func TestReadSecretFile_tooLarge(t *testing.T) {
	path := writeFile(t, "big", strings.Repeat("x", maxSecretBytes+1))
	if _, err := readSecretFile(path); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v; want a size error", err)
	}
}

// namedFlags returns the --flags msg names.
func namedFlags(msg string) []string {
	return regexp.MustCompile(`--[a-z][a-z-]*`).FindAllString(msg, -1)
}

func TestSecretSource_read_messagesNameOnlyFlagsThatExist(t *testing.T) {
	empty := writeFile(t, "empty", "\n")
	srv := startIdP(t)
	env := clientEnv(srv, t.TempDir())
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"client secret", []string{"ropc", "--username", adaName, "--client-secret-file", empty}, []string{"--client-secret-file"}},
		{"password", []string{"ropc", "--username", adaName}, []string{"--password-file", "--password-stdin"}},
		{"refresh token", []string{"refresh", "--refresh-token-file", empty}, []string{"--refresh-token-file", "--refresh-token-stdin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, invocation{args: tc.args, env: env})
			if r.code != exitUsage {
				t.Fatalf("got %s; want exit %d", r, exitUsage)
			}
			got := namedFlags(r.stderr)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("stderr %q names %v; want %v", r.stderr, got, tc.want)
			}
			// Every flag named is one the command accepts: -h lists them.
			help := runInProcess(t, invocation{args: []string{tc.args[0], "-h"}})
			for _, f := range got {
				if !strings.Contains(help.stdout, "-"+strings.TrimPrefix(f, "--")+" ") && !strings.Contains(help.stdout, "-"+strings.TrimPrefix(f, "--")+"\n") {
					t.Errorf("the message names %s, which %s -h does not list:\n%s", f, tc.args[0], help.stdout)
				}
			}
		})
	}
}
