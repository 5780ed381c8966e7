package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/spf13/pflag"
)

// maxSecretBytes bounds a secret read from a file or standard input.
const maxSecretBytes = 64 << 10

// secretSource says where a secret (a password, a client secret, a refresh token) may
// come from: a file (--x-file), standard input (--x-stdin), an environment variable,
// and, for passwords only, a no-echo prompt on a terminal. Never from a flag's value.
type secretSource struct {
	what   string // "password"
	env    string // "HEXAUTH_PASSWORD"
	flag   string // "password": the flags are --password-file and --password-stdin
	prompt bool   // may prompt on a terminal
	// hasStdin says --x-stdin exists (register added it); the client secret has none.
	hasStdin bool
	file     string
	stdin    bool
}

// register adds the --x-file flag of src to fs, and --x-stdin when withStdin.
func (src *secretSource) register(fs *pflag.FlagSet, withStdin bool) {
	fs.StringVar(&src.file, src.flag+"-file", "", "read the "+src.what+" from this `file` (env "+src.env+")")
	if withStdin {
		src.hasStdin = true
		fs.BoolVar(&src.stdin, src.flag+"-stdin", false, "read the "+src.what+" from the first line of standard input")
	}
}

// where names the ways to give the secret, for error messages: only flags that exist.
func (src *secretSource) where() string {
	if !src.hasStdin {
		return fmt.Sprintf("set %s, or use --%s-file", src.env, src.flag)
	}
	return fmt.Sprintf("set %s, or use --%s-file or --%s-stdin", src.env, src.flag, src.flag)
}

// read returns the secret from the first source given: --x-stdin, --x-file, the
// environment, then (when allowed) a prompt on a terminal. optional secrets return ""
// when none is given.
func (src *secretSource) read(ctx context.Context, e *env, optional bool) (string, error) {
	var v string
	var err error
	switch {
	case src.stdin && src.file != "":
		return "", usageErrorf("give --%s-file or --%s-stdin, not both", src.flag, src.flag)
	case src.stdin:
		v, err = firstLine(e.stdin)
		if err != nil {
			return "", usageErrorf("read the %s from standard input: %v", src.what, err)
		}
	case src.file != "":
		v, err = readSecretFile(src.file)
		if err != nil {
			return "", usageErrorf("read the %s file: %v", src.what, err)
		}
	case e.getenv(src.env) != "":
		v = e.getenv(src.env)
	case optional:
		return "", nil
	case src.prompt && isTerminal(e.stdin):
		v, err = promptNoEcho(ctx, e.stdin.(*os.File), e.stderr, src.what, src.where())
		if err != nil {
			return "", err
		}
	case !src.prompt:
		return "", usageErrorf("no %s given: %s", src.what, src.where())
	default:
		return "", usageErrorf("no %s given: %s (standard input is not a terminal, so hexauth cannot prompt)", src.what, src.where())
	}
	if v == "" {
		return "", usageErrorf("the %s is empty: %s", src.what, src.where())
	}
	return v, nil
}

// readSecretFile reads a secret file, without its trailing line break.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxSecretBytes {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSecretBytes)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// firstLine reads the first line of r, without its line break.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxSecretBytes), 4096).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// isTerminal reports whether r is a terminal (a character device).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// promptNoEcho asks for a secret on the terminal tty with echo turned off (stty
// -echo), and restores the terminal's settings however the read ends. A tty that stty
// does not recognise as a terminal (/dev/null, say) is refused before any prompt.
func promptNoEcho(ctx context.Context, tty *os.File, w io.Writer, what, where string) (string, error) {
	notTerminal := usageErrorf("no %s given: %s (standard input is not a terminal, so hexauth cannot prompt)", what, where)
	if runtime.GOOS == "windows" {
		return "", notTerminal
	}
	saved, err := stty(tty, "-g")
	if err != nil {
		return "", notTerminal
	}
	if _, err := stty(tty, "-echo"); err != nil {
		return "", notTerminal
	}
	defer func() {
		_, _ = stty(tty, strings.TrimSpace(saved))
		fmt.Fprintln(w)
	}()
	fmt.Fprintf(w, "%s%s: ", strings.ToUpper(what[:1]), what[1:])
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := firstLine(tty)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("hexauth: prompt abandoned: %w", ctx.Err())
	}
}

// stty runs stty with arg on the terminal tty and returns its output.
func stty(tty *os.File, arg string) (string, error) {
	cmd := exec.Command("stty", arg)
	cmd.Stdin = tty
	out, err := cmd.Output()
	return string(out), err
}
