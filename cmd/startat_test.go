package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
)

// --start-at holds the load until its time with either engine: the pool
// connects first, and the run starts no earlier.
func TestRunStartAt(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	for _, engine := range []string{"grpc", "h2"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			at := time.Now().Add(time.Second)
			f, out, errOut := testFactory("")
			code := Run(context.Background(), f, []string{"run", "--engine", engine, "--plaintext", "--protoset", "../testdata/pulse.protoset",
				"--format", "json", "--start-at", at.Format(time.RFC3339Nano), srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "5"})
			if code != cli.ExitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut)
			}
			sum, err := report.ReadJSON(out)
			if err != nil {
				t.Fatal(err)
			}
			if sum.StartedAt.Before(at) {
				t.Errorf("started at %s, %s before --start-at", sum.StartedAt.Format(time.RFC3339Nano), at.Sub(sum.StartedAt.Time))
			}
			if sum.Count != 5 {
				t.Errorf("%d calls, want 5", sum.Count)
			}
			if s := errOut.String(); !strings.Contains(s, "connected; the load starts at") && !strings.Contains(s, "starting now") {
				t.Errorf("stderr does not say when the load starts:\n%s", s)
			}
		})
	}
}
