package gate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	goldenfile "github.com/grpcpulse/grpcpulse/internal/golden"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// t0 is the start of every hand-made run.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

// gateCall is a call of a hand-made run: its latency, code and, for
// streams, its per-message measurements.
type gateCall struct {
	latency  time.Duration
	code     event.Code
	messages map[event.Series][]time.Duration
}

// gateSummaryOf records calls through a Recorder of kind, all due and
// started at t0, ends the run at t0+length, and returns its Summary.
func gateSummaryOf(kind event.Kind, calls []gateCall, length time.Duration) *report.Summary {
	r := record.NewManual(kind, 1, func() time.Time { return t0 })
	w := r.Worker(0, 0)
	r.Begin(t0)
	for _, c := range calls {
		for s, ds := range c.messages {
			for _, d := range ds {
				w.Message(s, d)
			}
		}
		w.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0.Add(c.latency), Code: codes.Code(c.code), Sent: 1, Received: 1})
	}
	r.End(t0.Add(length))
	return r.Summary(record.Meta{Method: "grpcpulse.test.v1.Pulse/Gate", Kind: kind,
		Options: plan.Options{Target: plan.Target{Addr: "127.0.0.1:50051"}, Load: plan.Load{Concurrency: 1, Connections: 1}, Call: plan.Call{Messages: 1}}})
}

// parseFor parses exprs for a method of kind, as `run` does: the syntax,
// then the series against the kind.
func parseFor(exprs []string, kind event.Kind) ([]Assertion, error) {
	as, err := ParseAssertions(exprs)
	if err != nil {
		return nil, err
	}
	if err := CheckKind(as, kind); err != nil {
		return nil, err
	}
	return as, nil
}

// syntheticSummary is the report of report/record's synthetic run of kind
// (report/testdata/KIND.json.golden).
func syntheticSummary(t *testing.T, kind event.Kind) *report.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", string(kind)+".json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := report.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reportJSON is s as WriteJSON writes it.
func reportJSON(t *testing.T, s *report.Summary) string {
	t.Helper()
	var b strings.Builder
	if err := report.WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// jsonRoundTrip writes s and reads it back.
func jsonRoundTrip(t *testing.T, s *report.Summary) *report.Summary {
	t.Helper()
	back, err := report.ReadJSON(strings.NewReader(reportJSON(t, s)))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// golden compares got with report/testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("..", "testdata", name), got)
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }
