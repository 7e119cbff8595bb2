package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// startGrpcpulse starts this test binary as grpcpulse with args and returns
// its standard error as lines.
func startGrpcpulse(t *testing.T, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), asMainEnv+"=1")
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	return c, lines
}

// waitLine reads lines until one contains want; it fails the test if the
// process ends first.
func waitLine(t *testing.T, lines <-chan string, want string) []string {
	t.Helper()
	var seen []string
	for l := range lines {
		seen = append(seen, l)
		if strings.Contains(l, want) {
			return seen
		}
	}
	t.Fatalf("no line saying %q in stderr:\n%s", want, strings.Join(seen, "\n"))
	return nil
}

// --start-at connects the pool, then waits with no call made; Ctrl-C during
// the wait stops cleanly: exit 130, no report, no call.
func TestStartAtWaitInterrupted(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	out := filepath.Join(t.TempDir(), "r.json")
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	c, lines := startGrpcpulse(t, "run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "10",
		"--connections", "2", "--start-at", at, "-o", out)
	waitLine(t, lines, "connected; the load starts at "+at)
	if n := srv.Calls("Unary"); n != 0 {
		t.Errorf("%d calls before --start-at", n)
	}
	if err := c.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest := waitLine(t, lines, "interrupted before the load started: no report")
	if code := exitCode(t, c); code != 130 {
		t.Errorf("exit %d, want 130 (stderr %q)", code, rest)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a report was written: %v", err)
	}
	if n := srv.Calls("Unary"); n != 0 {
		t.Errorf("%d calls after an interrupted wait", n)
	}
}

// The load starts at --start-at, not before.
func TestStartAtStartsOnTime(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	at := time.Now().Add(700 * time.Millisecond).UTC()
	c := exec.Command(os.Args[0], "run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "10",
		"--start-at", at.Format(time.RFC3339Nano), "--format", "json")
	c.Env = append(os.Environ(), asMainEnv+"=1")
	stdout, err := c.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	var rep struct {
		StartedAt time.Time `json:"started_at"`
		Count     int64     `json:"count"`
	}
	if err := json.Unmarshal(stdout, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.StartedAt.Before(at) || rep.Count != 10 {
		t.Errorf("started at %s with %d calls; want at or after %s, 10 calls", rep.StartedAt.Format(time.RFC3339Nano), rep.Count, at.Format(time.RFC3339Nano))
	}
}
