package runner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// TestRunStages runs a ramp up, a hold and a ramp down and finds exactly the
// calls the stages hold handed out, and the run ended with the last stage.
// A busy machine may leave calls due at the end unstarted (counted, not
// lost), and its last call may end after the stages: the run then ends with
// that call, never earlier.
func TestRunStages(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	ms := time.Millisecond
	rec, out := runLoad(t, srv, "Unary", `{}`, func(o *plan.Options) {
		o.Load.Stages = plan.Stages{{Duration: 200 * ms, Target: 200}, {Duration: 200 * ms, Target: 200}, {Duration: 200 * ms, Target: 0}} // 20 + 40 + 20
	})
	recorded := int64(len(rec.calls))
	if n := srv.Calls("Unary"); recorded+out.Aborted+out.Unstarted != 80 || n < recorded || n > recorded+out.Aborted {
		t.Errorf("%d calls recorded, %d aborted, %d unstarted, %d reached the server; want 80 (the stages' integral) in all, each recorded one at the server",
			recorded, out.Aborted, out.Unstarted, srv.Calls("Unary"))
	}
	var last time.Time // when the last call ended
	for _, c := range rec.calls {
		if c.End.After(last) {
			last = c.End
		}
	}
	stagesEnd := rec.begin.Add(600 * ms)
	switch d := rec.end.Sub(rec.begin); {
	case out.Unstarted == 0 && out.Aborted == 0 && last.Before(stagesEnd):
		if d != 600*ms {
			t.Errorf("the run lasted %s, want the stages' 600ms", d)
		}
	case d < 600*ms || rec.end.Before(last) || d > 600*ms+time.Second+time.Second:
		t.Errorf("the run lasted %s, its last call ended at %s; want the stages' 600ms, or until that call ended within the drain limit",
			d, last.Sub(rec.begin))
	}
	if out.Aborted != 0 {
		return // a call missing in the middle: the due times below no longer line up
	}
	// Latency counts from each call's place on the stages.
	p := (&plan.Load{Stages: plan.Stages{{Duration: 200 * ms, Target: 200}, {Duration: 200 * ms, Target: 200}, {Duration: 200 * ms, Target: 0}}}).Pacer()
	calls := slices.SortedFunc(slices.Values(rec.calls), func(a, b CallStats) int { return a.Intended.Compare(b.Intended) })
	for i, c := range calls {
		due, _ := p.Due(int64(i))
		if off := c.Intended.Sub(rec.begin); off < due || off > due+timerSlack && !c.Late {
			t.Errorf("call %d intended at %s, due at %s", i, off, due)
		}
	}
}

// TestRunConcurrencyStages holds every call at the server, so each worker in
// use holds one: the calls that reach the server are the workers the stages
// put in use, and no more come while the level holds.
func TestRunConcurrencyStages(t *testing.T) {
	t.Parallel()
	third := make(chan struct{})
	var srv *testserver.Server
	srv = testserver.Start(t, testserver.AfterCalls(1, func(s *testserver.Server) { s.Pause() }),
		testserver.AfterCalls(3, func(*testserver.Server) { close(third) }))
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), []byte(`{}`), data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := plan.Options{
		Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load:   plan.Load{Concurrency: 50, Connections: 1, ConcurrencyStages: plan.Stages{{Duration: 30 * time.Millisecond, Target: 3}, {Duration: time.Minute, Target: 3}}},
		Call:   plan.Call{Messages: 1},
	}
	r, err := New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Outcome)
	go func() { out, _ := r.Run(ctx, &tally{}); done <- out }()
	<-third // three workers in use, each holding a call the server holds
	if got := r.InFlight(); got != 3 {
		t.Errorf("InFlight = %d with the level at 3, want 3", got)
	}
	if got := len(*r.workers.Load()); got != 3 {
		t.Errorf("%d workers, want 3 (the stages' most)", got)
	}
	cancel()
	srv.Resume()
	out := <-done
	if got := srv.Calls("Unary"); got != 3 || !out.Interrupted {
		t.Errorf("%d calls reached the server, interrupted %v; want 3, true", got, out.Interrupted)
	}
}

// TestRunConcurrencyStagesRetire retires a worker: its calls end normally,
// and it starts none once retired.
func TestRunConcurrencyStagesRetire(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	ms := time.Millisecond
	// Worker 1 is in use from 5ms to 111ms. Each call takes at least 50ms,
	// so it can make at most 3 calls (started after checks at 5ms or later,
	// 55ms or later and 105ms or later); a 4th would mean it started one
	// while retired.
	stages := plan.Stages{{Duration: 10 * ms, Target: 2}, {Duration: 100 * ms, Target: 2}, {Duration: ms, Target: 1}, {Duration: 200 * ms, Target: 1}}
	rec, out := runLoad(t, srv, "Unary", `{}`, func(o *plan.Options) {
		o.Load.ConcurrencyStages = stages
		o.Metadata.Headers = headers(testserver.MDDelay, "50ms")
	})
	perWorker := map[int]int{}
	for i, c := range rec.calls {
		perWorker[rec.callers[i]]++
		if c.Err != nil {
			t.Errorf("call of worker %d: %v", rec.callers[i], c.Err)
		}
	}
	if n := perWorker[1]; n < 1 || n > 3 {
		t.Errorf("worker 1 made %d calls in its 106ms of 50ms calls, want 1 to 3", n)
	}
	if len(perWorker) != 2 || perWorker[0] < 1 {
		t.Errorf("calls per worker %v, want workers 0 and 1 only", perWorker)
	}
	if out.Aborted != 0 || len(rec.calls) != int(srv.Calls("Unary")) {
		t.Errorf("aborted %d; %d calls recorded of %d", out.Aborted, len(rec.calls), srv.Calls("Unary"))
	}
}
