package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
)

// Bad data stops a scenario before its first call as it stops a run of one
// method: with a report that says why (not_started), for CI to keep.
func TestScenarioBadDataReportsNotStarted(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "s.yaml")
	yaml := "target: " + srv.Addr() + "\nplaintext: true\ntotal: 2\ncalls:\n  - method: grpcpulse.test.v1.Pulse/Unary\n    data: \"{bad\"\n"
	if err := os.WriteFile(scenario, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.json")
	f, _, errOut := testFactory("")
	if code := Run(context.Background(), f, []string{"run", "-f", scenario, "-o", out}); code != cli.ExitError {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, cli.ExitError, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	sum, err := report.ReadJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "calls: grpcpulse.test.v1.Pulse/Unary: request message 1: not valid JSON"; !strings.Contains(sum.NotStarted, want) {
		t.Errorf("not_started %q does not say %q", sum.NotStarted, want)
	}
}
