package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal: the controller (what a
// terminal emulator reads and writes) and the terminal a program sees.
func openPTY(t *testing.T) (controller, tty *os.File) {
	t.Helper()
	controller, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { controller.Close() })
	fd := int(controller.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return controller, tty
}

// echoing reports whether tty echoes what is typed.
func echoing(t *testing.T, tty *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// The password prompt reads a line from the terminal without echoing it, and leaves
// the terminal echoing again.
func TestPromptNoEcho_readsWithoutEchoAndRestores(t *testing.T) {
	controller, tty := openPTY(t)
	if !isTerminal(tty) || !echoing(t, tty) {
		t.Fatal("a new pseudo-terminal is not an echoing terminal")
	}
	const secret = "s3cret-typed-at-the-prompt"
	// What the terminal shows, read as a terminal emulator would (the read ends when
	// the test process does: a pseudo-terminal read takes no deadline).
	shown := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := controller.Read(buf)
			if n > 0 {
				shown <- string(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	var prompt bytes.Buffer
	got := make(chan string, 1)
	go func() {
		v, err := promptNoEcho(context.Background(), tty, &prompt, "password", "--password-stdin")
		if err != nil {
			v = "error: " + err.Error()
		}
		got <- v
	}()
	// Type once the prompt has turned echo off, as a user would after seeing it.
	deadline := time.Now().Add(10 * time.Second)
	for echoing(t, tty) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := controller.WriteString(secret + "\n"); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != secret {
		t.Fatalf("prompt read %q; want %q", v, secret)
	}
	if !echoing(t, tty) {
		t.Error("the terminal no longer echoes after the prompt")
	}
	// What the terminal showed: the typed secret must not be among it.
	var all strings.Builder
	for drained := false; !drained; {
		select {
		case s := <-shown:
			all.WriteString(s)
		case <-time.After(200 * time.Millisecond):
			drained = true
		}
	}
	if strings.Contains(all.String(), secret) {
		t.Errorf("the terminal echoed the secret: %q", all.String())
	}
	if !strings.HasPrefix(prompt.String(), "Password: ") {
		t.Errorf("prompt %q; want \"Password: \"", prompt.String())
	}
}

// An interrupted prompt (Ctrl-C cancels the context) gives the terminal its echo back
// before hexauth exits.
func TestPromptNoEcho_interruptRestoresEcho(t *testing.T) {
	_, tty := openPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := promptNoEcho(ctx, tty, &bytes.Buffer{}, "password", "--password-stdin")
		errc <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for echoing(t, tty) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("an interrupted prompt returned no error")
	}
	if !echoing(t, tty) {
		t.Error("the terminal no longer echoes after an interrupted prompt")
	}
}

// /dev/null is a character device but no terminal: no prompt there.
func TestPromptNoEcho_refusesANonTerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("isTerminal(/dev/null) = true")
	}
	if _, err := promptNoEcho(context.Background(), f, &bytes.Buffer{}, "password", "--password-stdin"); exitCode(err) != exitUsage {
		t.Errorf("prompt on /dev/null = %v; want a usage error", err)
	}
}
