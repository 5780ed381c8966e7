package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"
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

// isTerminal reports whether r is a terminal: a character device that answers the
// terminal calls (golang.org/x/term), so /dev/null and NUL are not, on every platform.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// promptNoEcho asks for a secret on the terminal tty with echo turned off
// (golang.org/x/term: termios on Unix, the console mode on Windows), and restores the
// terminal's state however the prompt ends, an interrupt included: left off, the
// user's shell would stop echoing. A tty that is not a terminal is refused before any
// prompt.
func promptNoEcho(ctx context.Context, tty *os.File, w io.Writer, what, where string) (string, error) {
	fd := int(tty.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		return "", usageErrorf("no %s given: %s (standard input is not a terminal, so hexauth cannot prompt)", what, where)
	}
	fmt.Fprintf(w, "%s%s: ", strings.ToUpper(what[:1]), what[1:])
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(w)
		if r.err != nil && r.err != io.EOF {
			return "", r.err
		}
		if len(r.line) > maxSecretBytes {
			return "", usageErrorf("the %s is longer than %d bytes", what, maxSecretBytes)
		}
		return strings.TrimRight(string(r.line), "\r\n"), nil
	case <-ctx.Done():
		// The read goes on in its goroutine until the process ends; echo comes back now.
		_ = term.Restore(fd, saved)
		fmt.Fprintln(w)
		return "", fmt.Errorf("hexauth: prompt abandoned: %w", ctx.Err())
	}
}
