package record

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/gate"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// runUnary runs Pulse/Unary against addr with load through a real Recorder
// and returns the diagnosed Summary.
func runUnary(t *testing.T, addr string, load plan.Load) *report.Summary {
	t.Helper()
	md := pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName(protoreflect.Name("Unary"))
	reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := plan.Options{Target: plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load: load, Call: plan.Call{Messages: 1}}
	r, err := runner.New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	used := r.Options()
	rec := New(event.Unary, used.Load.Workers())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := r.Run(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	s := rec.Summary(Meta{Method: "grpcpulse.test.v1.Pulse/Unary", Kind: event.Unary, Options: used, Outcome: out})
	s.Findings = diagnose.Findings(s)
	return s
}

func findingIDs(s *report.Summary) map[string]report.Finding {
	out := map[string]report.Finding{}
	for _, f := range s.Findings {
		out[f.ID] = f
	}
	return out
}

// Issue 10's experiment: --rps 100 -z 3s --assert 'p(99)<50ms' with the
// server frozen from 2s (its 200th call) until after the run. The calls held
// at the drain limit and those due that never started go into the latency
// at their lower bound, a finding says so, and the latency gate fails.
func TestStallPastEndFailsLatencyGate(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.AfterCalls(200, (*testserver.Server).Pause))
	defer srv.Resume()
	s := runUnary(t, srv.Addr(), plan.Load{Concurrency: 50, Connections: 1, RPS: 100, Duration: 3 * time.Second})

	if s.Aborted == 0 || s.Cut != s.Aborted+s.Unstarted {
		t.Fatalf("count %d aborted %d unstarted %d cut %d; want calls cut, all in Cut", s.Count, s.Aborted, s.Unstarted, s.Cut)
	}
	if s.Latency.Count != s.Count+s.Cut {
		t.Errorf("latency holds %d calls, want count %d + cut %d", s.Latency.Count, s.Count, s.Cut)
	}
	if s.Count+s.Cut < 295 || s.Count+s.Cut > 301 {
		t.Errorf("count %d + cut %d, want the ~300 calls due in 3s at 100/s", s.Count, s.Cut)
	}
	// The oldest cut call was due at ~2s; the run ended at 3s + the 3s drain limit.
	if s.CutFor < 3500*time.Millisecond || s.CutFor > 4500*time.Millisecond {
		t.Errorf("cut_for %s, want ~4s", s.CutFor)
	}
	if s.Latency.P99 < 3*time.Second {
		t.Errorf("latency p99 %s, want the cut calls' bounds (3s and more)", s.Latency.P99)
	}
	f, ok := findingIDs(s)["stall_past_end"]
	if !ok || f.Severity != report.SeverityError {
		t.Fatalf("findings %+v, want an error stall_past_end", s.Findings)
	}
	as, err := gate.ParseAssertions([]string{"p(99)<50ms"})
	if err != nil {
		t.Fatal(err)
	}
	res := gate.EvaluateAssertions(s, as)
	if len(res) != 1 || res[0].Pass {
		t.Errorf("gate p(99)<50ms: %+v, want it to fail", res)
	}
	t.Logf("count %d aborted %d unstarted %d cut %d cut_for %s p99 %s: %s", s.Count, s.Aborted, s.Unstarted,
		s.Cut, s.CutFor, s.Latency.P99, f.Title)
}

// Issue 10's item 8: a closed-loop run whose server freezes for ~2s and
// comes back. The percentiles barely move (a few calls waited), the
// timeline shows whole seconds with no call ending, and a finding names
// the stall.
func TestClosedLoopStallFinding(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.AfterCalls(300, func(s *testserver.Server) {
		s.Pause()
		time.AfterFunc(2200*time.Millisecond, s.Resume) // the freeze's length, not a synchronisation
	}))
	defer srv.Resume()
	s := runUnary(t, srv.Addr(), plan.Load{Concurrency: 2, Connections: 1, Duration: 3500 * time.Millisecond})
	zero := 0
	for _, p := range s.Timeline {
		if p.Count == 0 {
			zero++
		}
	}
	if zero == 0 {
		t.Fatalf("timeline %+v has no second without calls", s.Timeline)
	}
	f, ok := findingIDs(s)["closed_loop_stall"]
	if !ok || f.Severity != report.SeverityWarn {
		t.Fatalf("findings %+v, want a closed_loop_stall warning", s.Findings)
	}
	t.Logf("timeline %+v: %s", s.Timeline, f.Title)
}

// Issue 10's items 2 and 3: a rate run whose last call ends before -z ran
// for -z: its rps is over -z, and its timeline covers -z, each call in the
// second it ended in.
func TestRateRunCoversDuration(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	s := runUnary(t, srv.Addr(), plan.Load{Concurrency: 2, Connections: 1, RPS: 2, Duration: 2 * time.Second})
	if s.Count != 4 || s.Duration != 2*time.Second || s.RPS != 2 {
		t.Errorf("count %d duration %s rps %v, want 4 calls over exactly 2s, 2/s", s.Count, s.Duration, s.RPS)
	}
	if len(s.Timeline) != 2 || s.Timeline[0].Count != 2 || s.Timeline[1].Count != 2 || s.Timeline[1].Width != 0 {
		t.Errorf("timeline %+v, want 2 full seconds of 2 calls", s.Timeline)
	}
}
