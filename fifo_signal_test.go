//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// An input that is a FIFO no process writes to holds grpcpulse in open(2);
// the first SIGTERM still stops it, with 143 and a message naming the FIFO.
func TestFIFOInputStopsOnSignal(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	for _, tt := range []struct {
		name string
		args func(fifo string) []string
	}{
		{"-f", func(fifo string) []string { return []string{"run", "-f", fifo} }},
		{"-d @", func(fifo string) []string {
			return []string{"call", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-d", "@" + fifo}
		}},
		{"--protoset", func(fifo string) []string { return []string{"list", "--protoset", fifo} }},
		{"--cacert", func(fifo string) []string {
			return []string{"call", "--cacert", fifo, srv.Addr(), "grpcpulse.test.v1.Pulse/Unary"}
		}},
		{"run --cacert with a protoset", func(fifo string) []string { // the run's own dial reads it first
			return []string{"run", "--protoset", "testdata/pulse.protoset", "--cacert", fifo, "-n", "1", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary"}
		}},
		{"run --engine h2 --cacert", func(fifo string) []string {
			return []string{"run", "--engine", "h2", "--protoset", "testdata/pulse.protoset", "--cacert", fifo, "-n", "1", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary"}
		}},
		{"report show", func(fifo string) []string { return []string{"report", "show", fifo} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fifo := filepath.Join(t.TempDir(), "in.fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			c, stderr := grpcpulseProcess(t, tt.args(fifo)...)
			waitInFIFOOpen(t, c.Process.Pid)
			if err := c.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, c); code != 143 {
				t.Fatalf("exit %d, want 143; stderr:\n%s", code, stderr)
			}
			if want := "interrupted: " + fifo + ": stopped while waiting to open it"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr %q does not say %q", stderr, want)
			}
		})
	}
}

// waitInFIFOOpen returns once a thread of the process pid waits in open(2)
// of a FIFO for a writer (Linux's wait_for_partner). grpcpulse installs its
// signal handlers before it opens any input, so a signal sent then is
// handled, not the default action.
func waitInFIFOOpen(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "wchan"))
		for _, path := range tasks {
			if b, err := os.ReadFile(path); err == nil && string(b) == "wait_for_partner" {
				return
			}
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	t.Fatalf("process %d never waited in open(2) of the FIFO", pid)
}
