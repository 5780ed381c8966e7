package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// childSchemaEnv tells a re-executed test binary to act as the lock-holding process.
const childSchemaEnv = "HEXAUTH_TEST_POSTGRES_LOCK_CHILD_SCHEMA"

// TestRefreshLock_helperProcess is the body of the child process of
// TestRefreshLock_acrossProcesses: it takes the lock, says "locked", and releases it
// when told "release" on stdin.
func TestRefreshLock_helperProcess(t *testing.T) {
	schema := os.Getenv(childSchemaEnv)
	if schema == "" {
		t.Skip("runs only as the child process of TestRefreshLock_acrossProcesses")
	}
	s, err := Open(context.Background(), Config{DSN: DSNForTest(t), Schema: schema})
	if err != nil {
		fmt.Println("child: open:", err)
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	err = s.WithRefreshLock(context.Background(), testLockKey, func(context.Context) error {
		fmt.Println("child: locked")
		for in.Scan() && in.Text() != "release" {
		}
		return nil
	})
	fmt.Println("child: released", err)
	for in.Scan() { // hold the process until the parent closes stdin
	}
	_ = s.Close()
}

// child is a re-executed test binary holding the refresh lock.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startChild(t *testing.T, schema string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRefreshLock_helperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childSchemaEnv+"="+schema)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child process: %v", err)
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "child: "); ok {
				c.lines <- line
			}
		}
		close(c.lines)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return c
}

// expect waits for the child to say something starting with want.
func (c *child) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case line, ok := <-c.lines:
		if !ok || !strings.HasPrefix(line, want) {
			t.Fatalf("child process said %q (open %v); want %q", line, ok, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("child process did not say %q within 30s", want)
	}
}

// tryLock takes the lock through s with a wait bounded by d, reporting whether fn ran.
func tryLock(s *Store, d time.Duration) (ran bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err = s.WithRefreshLock(ctx, testLockKey, func(context.Context) error { ran = true; return nil })
	return ran, err
}

// TestRefreshLock_acrossProcesses holds the lock in another OS process (this test
// binary re-executed) and checks that this process waits for it, gets it once the
// other releases it, and gets it when the other process dies holding it.
func TestRefreshLock_acrossProcesses(t *testing.T) {
	schema := SchemaForTest(t)
	s := OpenTestStore(t, Config{Schema: schema}) // creates the schema first

	c := startChild(t, schema)
	c.expect(t, "locked")
	ran, err := tryLock(s, 300*time.Millisecond)
	var de *domain.Error
	if ran || !errors.As(err, &de) || de.Class != domain.ErrCacheStore || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WithRefreshLock while another process holds the key: ran fn %v, err %v; want false, an ErrCacheStore error wrapping context.DeadlineExceeded", ran, err)
	}
	fmt.Fprintln(c.stdin, "release")
	c.expect(t, "released <nil>")
	if ran, err := tryLock(s, 10*time.Second); !ran || err != nil {
		t.Fatalf("WithRefreshLock after the other process released the key: ran fn %v, err %v; want true, nil", ran, err)
	}
	_ = c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("child process exited with %v; want success", err)
	}

	// A process killed while holding the lock: the server ends its session and with
	// it the lock.
	c = startChild(t, schema)
	c.expect(t, "locked")
	if ran, _ := tryLock(s, 300*time.Millisecond); ran {
		t.Fatal("WithRefreshLock ran fn while a second child process holds the key")
	}
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill child process: %v", err)
	}
	_ = c.cmd.Wait()
	if ran, err := tryLock(s, 10*time.Second); !ran || err != nil {
		t.Fatalf("WithRefreshLock after the holding process was killed: ran fn %v, err %v; want true, nil", ran, err)
	}
}
