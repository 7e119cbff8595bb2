package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// grpcurl's and other tools' habits are refused with what was meant.
func TestHabits(t *testing.T) {
	t.Parallel()
	const m = "grpcpulse.test.v1.Pulse/Unary"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"single-dash long flag", []string{"list", "-plaintext", "h:1"}, "unknown flag -plaintext: did you mean --plaintext? (long flags take two dashes)"},
		{"grpcurl's name", []string{"call", "--plaintext", "h:1", m, "-max-time", "3s"}, "unknown flag -max-time: did you mean --timeout?"},
		{"flags before the command", []string{"-plaintext", "h:1", "list"}, "the command comes first: did you mean grpcpulse list --plaintext h:1?"},
		{"misspelt flag", []string{"run", "--concurency", "3", "h:1", m}, "unknown flag --concurency: did you mean --concurrency?"},
		{"method without address (run)", []string{"run", m, "--plaintext"}, "missing ADDR: " + m + " is a method"},
		{"method without address (call)", []string{"call", "grpcpulse.test.v1.Pulse.Unary", "--plaintext"}, "missing ADDR: grpcpulse.test.v1.Pulse.Unary is a method"},
		{"address without method", []string{"call", "--plaintext", "api.example.com"}, "missing METHOD"},
		{"-n 0", []string{"run", "--plaintext", "h:1", m, "-n", "0"}, "-n 0 makes no calls"},
		{"nothing close", []string{"run", "--zzzzzzzz", "h:1", m}, "unknown flag: --zzzzzzzz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _, errOut := testFactory("")
			if code := Run(context.Background(), f, tt.args); code != cli.ExitUsage {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			if !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, errOut)
			}
		})
	}
}

// -n 0 is refused the same way on a terminal as in a pipe.
func TestTotalZeroOnTerminal(t *testing.T) {
	t.Parallel()
	f, _, errOut := testFactory("")
	f.IO.InTTY, f.IO.OutTTY = true, true
	if code := Run(context.Background(), f, []string{"run", "--plaintext", "h:1", "grpcpulse.test.v1.Pulse/Unary", "-n", "0"}); code != cli.ExitUsage ||
		!strings.Contains(errOut.String(), "-n 0 makes no calls") {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
}

// -d @ names the problem; list prints services and methods sorted.
func TestDataAtAndSortedList(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	f, _, errOut := testFactory("")
	if code := Run(context.Background(), f, []string{"call", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-d", "@"}); code != cli.ExitUsage ||
		!strings.Contains(errOut.String(), "-d @ names no file") {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, args := range [][]string{{"list", "--plaintext", srv.Addr()}, {"list", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse"}} {
		f, out, errOut := testFactory("")
		if code := Run(context.Background(), f, args); code != 0 {
			t.Fatalf("%v: exit %d; stderr:\n%s", args, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		for i := 1; i < len(lines); i++ {
			if lines[i-1] > lines[i] {
				t.Errorf("%v: not sorted:\n%s", args, out)
				break
			}
		}
		if len(lines) < 4 {
			t.Errorf("%v: %d lines:\n%s", args, len(lines), out)
		}
	}
}
