package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// grpcpulseProcess starts this test binary as grpcpulse with args.
func grpcpulseProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), asMainEnv+"=1")
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill() })
	return c, &stderr
}

func exitCode(t *testing.T, c *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("grpcpulse did not exit within 30s of the signal")
		return -1
	}
}

// startedServer is a test server that says when it has seen n Unary calls.
func startedServer(t *testing.T, n int64) (*testserver.Server, <-chan struct{}) {
	seen := make(chan struct{})
	srv := testserver.Start(t, testserver.AfterCalls(n, func(*testserver.Server) { close(seen) }))
	return srv, seen
}

// A signal during a run stops it, still writes the whole report, and exits
// 128 + the signal's number: Ctrl-C 130, SIGTERM 143, SIGHUP 129.
func TestRunInterruptWritesReport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  os.Signal
		want int
	}{{os.Interrupt, 130}, {syscall.SIGTERM, 143}, {syscall.SIGHUP, 129}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			srv, seen := startedServer(t, 200)
			out := filepath.Join(t.TempDir(), "report.json")
			c, stderr := grpcpulseProcess(t, "run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary",
				"-c", "4", "-z", "5m", "-H", "x-pulse-delay: 1ms", "--format", "json", "-o", out)
			<-seen
			if err := c.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, c); code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("no report after %s: %v", tt.sig, err)
			}
			var rep struct {
				Count       int64 `json:"count"`
				Errors      int64 `json:"errors"`
				Interrupted bool  `json:"interrupted"`
			}
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatalf("report is not JSON: %v", err)
			}
			if rep.Count < 150 || rep.Errors != 0 || !rep.Interrupted {
				t.Errorf("report: count %d, errors %d, interrupted %v; want the calls made before the signal, no errors, interrupted",
					rep.Count, rep.Errors, rep.Interrupted)
			}
		})
	}
}

// A second Ctrl-C ends grpcpulse at once. serve's first Ctrl-C waits (up to
// five seconds) for open streams to finish; the second does not wait.
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	t.Parallel()
	c := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0")
	c.Env = append(os.Environ(), asMainEnv+"=1")
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("first line %q, %v", line, err)
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	stream, err := pulsepb.NewPulseClient(cc).Bidi(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&pulsepb.Request{}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the server holds an open stream now
		t.Fatal(err)
	}
	first := time.Now()
	_ = c.Process.Signal(os.Interrupt)
	// The kernel merges a signal into one still pending, so the second
	// Ctrl-C goes only once the first has been handled: the server's GOAWAY
	// (its graceful stop has begun) moves our connection off READY.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !cc.WaitForStateChange(ctx, connectivity.Ready) {
		t.Fatal("the server did not start its graceful stop after Ctrl-C")
	}
	// Signals within half a second of the first are the same request to
	// stop; only a later one means "exit at once".
	if wait := 600*time.Millisecond - time.Since(first); wait > 0 {
		time.Sleep(wait)
	}
	start := time.Now()
	_ = c.Process.Signal(os.Interrupt)
	code := exitCode(t, c)
	if waited := time.Since(start); waited > 4*time.Second {
		t.Errorf("exited %s after the second Ctrl-C: it waited for the graceful stop", waited)
	}
	if code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
}

// GNU timeout sends SIGTERM to grpcpulse and then to its process group: two
// signals a moment apart are one request to stop, so the report is still
// written. Repeated, because the two may land before or after the first is
// handled.
func TestTwoQuickSignalsStillWriteReport(t *testing.T) {
	t.Parallel()
	for i := range 4 {
		srv, seen := startedServer(t, 50)
		out := filepath.Join(t.TempDir(), "report.json")
		c, stderr := grpcpulseProcess(t, "run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary",
			"-c", "2", "-z", "5m", "--format", "json", "-o", out)
		<-seen
		_ = c.Process.Signal(syscall.SIGTERM)
		if i%2 == 1 {
			time.Sleep(time.Duration(i) * 50 * time.Millisecond) // a second one a moment later, not at once
		}
		_ = c.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, c); code != 143 {
			t.Fatalf("try %d: exit %d, want 143; stderr:\n%s", i, code, stderr)
		}
		if strings.Contains(stderr.String(), "interrupted again") {
			t.Fatalf("try %d: the second SIGTERM was taken as a second request:\n%s", i, stderr)
		}
		if b, err := os.ReadFile(out); err != nil || !json.Valid(b) {
			t.Fatalf("try %d: no report after two quick SIGTERMs: %v", i, err)
		}
	}
}

// A closed standard error (its reader gone: EPIPE) never costs the report:
// SIGPIPE is ignored and progress and warnings are dropped.
func TestClosedStderrStillWritesReport(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	out := filepath.Join(t.TempDir(), "report.json")
	c := exec.Command(os.Args[0], "run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary",
		"-n", "200", "--metrics-addr", "127.0.0.1:0", "--format", "json", "-o", out)
	c.Env = append(os.Environ(), asMainEnv+"=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // a reader that has gone: every write to stderr is EPIPE
	c.Stderr = w
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { _ = c.Process.Kill() })
	if code := exitCode(t, c); code != 0 {
		t.Fatalf("exit %d with stderr closed, want 0", code)
	}
	if b, err := os.ReadFile(out); err != nil || !json.Valid(b) {
		t.Fatalf("no report with stderr closed: %v", err)
	}
}

// `report show r.json | head -1`: standard output closed by its reader ends
// the command quietly with 141, nothing on stderr.
func TestClosedStdoutEndsQuietly(t *testing.T) {
	t.Parallel()
	c := exec.Command(os.Args[0], "report", "show", "--format", "json", "report/testdata/unary.json.golden")
	c.Env = append(os.Environ(), asMainEnv+"=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	c.Stdout = w
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { _ = c.Process.Kill() })
	if code := exitCode(t, c); code != 141 {
		t.Errorf("exit %d, want 141", code)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %q, want nothing", stderr.String())
	}
}
