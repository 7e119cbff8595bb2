package runner

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/data"
)

func TestStagesSet(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		in      string
		want    Stages
		wantErr string
	}{
		{in: "1s:100,2s:100,1s:0", want: Stages{{s, 100}, {2 * s, 100}, {s, 0}}},
		{in: " 30s:2.5 , 1m:0", want: Stages{{30 * s, 2.5}, {time.Minute, 0}}},
		{in: "0s:50,10s:50", want: Stages{{0, 50}, {10 * s, 50}}},
		{in: "1s", wantErr: `stage "1s": want DUR:TARGET`},
		{in: "1s:100,", wantErr: `stage "": want DUR:TARGET`},
		{in: "soon:100", wantErr: `"soon" is not a duration`},
		{in: "-1s:100", wantErr: `"-1s" is not a duration`},
		{in: "1s:-5", wantErr: `"-5" is not a target`},
		{in: "1s:NaN", wantErr: `"NaN" is not a target`},
		{in: "1s:Inf", wantErr: `"Inf" is not a target`},
		{in: "0s:100", wantErr: "last no time"},
		{in: "", wantErr: "want DUR:TARGET"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Stages
			err := got.Set(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Set(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Set(%q) = %v, want %v", tt.in, got, tt.want)
			}
			var back Stages
			if err := back.Set(got.String()); err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("String() %q does not parse back: %v", got.String(), err)
			}
		})
	}
}

// countBefore counts the calls of p due before d.
func countBefore(p pacer, d time.Duration) int64 {
	from := time.Unix(0, 0)
	return dueBefore(p, 0, from, from.Add(d), 0)
}

func TestStagesPacerCounts(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name   string
		start  float64
		stages Stages
		// the calls due before each of at: cumulative counts
		at   []time.Duration
		want []int64
	}{
		{"up, hold, down", 0, Stages{{s, 100}, {2 * s, 100}, {s, 0}},
			[]time.Duration{s, 3 * s, 4 * s, 10 * s}, []int64{50, 250, 300, 300}},
		{"from --rps", 100, Stages{{s, 0}}, []time.Duration{500 * time.Millisecond, s}, []int64{38, 50}},
		{"jump and pause", 0, Stages{{0, 10}, {s, 10}, {s, 0}, {s, 0}, {0, 20}, {s, 20}},
			[]time.Duration{s, 2 * s, 3 * s, 4 * s}, []int64{10, 15, 15, 35}},
		{"fractional", 0, Stages{{s, 3}}, []time.Duration{s}, []int64{2}},
		{"huge", 0, Stages{{10 * s, 1e9}}, []time.Duration{10 * s}, []int64{5e9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newStagesPacer(tt.start, tt.stages)
			for i, d := range tt.at {
				if got := countBefore(p, d); got < tt.want[i]-1 || got > tt.want[i]+1 {
					t.Errorf("calls due before %s: %d, want %d (±1)", d, got, tt.want[i])
				}
			}
			prev := time.Duration(-1)
			for n := range int64(300) {
				got, ok := p.due(n)
				if !ok {
					break
				}
				if got < prev || got > tt.stages.Total() {
					t.Fatalf("call %d due at %s (call before at %s, stages end at %s)", n, got, prev, tt.stages.Total())
				}
				prev = got
			}
		})
	}
	// The calls of the stages are exactly those numbered below their integral.
	p := newStagesPacer(0, Stages{{s, 100}, {2 * s, 100}, {s, 0}})
	if d, ok := p.due(299); !ok || d >= 4*s {
		t.Errorf("call 299 due at %s, %v; want within the stages", d, ok)
	}
	if _, ok := p.due(300); ok {
		t.Error("call 300 is due, but the stages hold 300 calls")
	}
	// Call 25 of a 0→100/s ramp over 1s is due at √0.5 s.
	if d, _ := p.due(25); math.Abs(d.Seconds()-math.Sqrt(0.5)) > 1e-6 {
		t.Errorf("call 25 due at %s, want %.6fs", d, math.Sqrt(0.5))
	}
}

func TestStagesAbove(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	// 0 → 4 over 400ms, held 400ms, → 0 over 400ms.
	st := Stages{{400 * ms, 4}, {400 * ms, 4}, {400 * ms, 0}}
	tests := []struct {
		level  float64
		t      time.Duration
		want   time.Duration
		wantOK bool
	}{
		{0, 0, 1, true},                   // worker 0 is in use from the first instant
		{1, 0, 100*ms + 1, true},          // worker 1 once the level passes 1
		{3, 50 * ms, 300*ms + 1, true},    // worker 3
		{3, 500 * ms, 500 * ms, true},     // in use now
		{3, 1100 * ms, 0, false},          // retired at 900ms, never again
		{1, 1000 * ms, 1000 * ms, true},   // level 2 then
		{4, 0, 0, false},                  // the level never passes 4
		{0, 1200 * ms, 0, false},          // the stages are over
		{0, 1199 * ms, 1199 * ms, true},   // the level is still above 0
		{2, 1000 * ms, 0, false},          // level 2 exactly is not above 2
		{1.5, 1000 * ms, 1000 * ms, true}, // a fractional level
	}
	for _, tt := range tests {
		got, ok := st.above(0, tt.level, tt.t)
		if ok != tt.wantOK || ok && got != tt.want {
			t.Errorf("above(%g, %s) = %s, %v; want %s, %v", tt.level, tt.t, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestStagesValidate(t *testing.T) {
	t.Parallel()
	s := time.Second
	st := Stages{{s, 10}}
	tests := []struct {
		name    string
		load    Load
		wantErr string
	}{
		{"stages", Load{Concurrency: 5, Connections: 1, Stages: st}, ""},
		{"stages from --rps", Load{Concurrency: 5, Connections: 1, RPS: 5, Stages: Stages{{s, 0}}}, ""},
		{"stages with their -z", Load{Concurrency: 5, Connections: 1, Stages: st, Duration: s}, ""},
		{"stages with another -z", Load{Concurrency: 5, Connections: 1, Stages: st, Duration: 2 * s}, "--stages last 1s and end the run; leave out -z"},
		{"stages with -n", Load{Concurrency: 5, Connections: 1, Stages: st, Total: 5}, "-n cannot be combined with --stages"},
		{"stages and schedule", Load{Concurrency: 5, Connections: 1, Stages: st, Schedule: Schedule{Kind: "ramp", From: 1, To: 2, Over: s}}, "--schedule and --stages"},
		{"stages at 0", Load{Concurrency: 5, Connections: 1, Stages: Stages{{s, 0}}}, "the rate is 0 throughout"},
		{"negative stage", Load{Concurrency: 5, Connections: 1, Stages: Stages{{s, -1}}}, "must not be negative"},
		{"no time", Load{Concurrency: 5, Connections: 1, Stages: Stages{{0, 1}}}, "last no time"},
		{"concurrency stages", Load{Concurrency: 50, Connections: 2, ConcurrencyStages: Stages{{s, 3}}}, ""},
		{"both stages", Load{Concurrency: 5, Connections: 1, Stages: st, ConcurrencyStages: st}, "cannot be combined; use one"},
		{"concurrency stages and rps", Load{Concurrency: 5, Connections: 1, RPS: 3, ConcurrencyStages: st}, "cannot be combined with --rps"},
		{"no worker", Load{Concurrency: 5, Connections: 1, ConcurrencyStages: Stages{{s, 0}}}, "no stage asks for a worker"},
		{"connections over staged workers", Load{Concurrency: 50, Connections: 4, ConcurrencyStages: Stages{{s, 3}}}, "more than the 3 workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load.Validate()
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
	l := Load{Stages: st}
	if l.Endless() || !l.OpenLoop() || l.RateAt(500*time.Millisecond) != 5 || l.RateAt(s) != 0 {
		t.Errorf("stages: Endless %v, OpenLoop %v, RateAt(500ms) %g, RateAt(1s) %g", l.Endless(), l.OpenLoop(), l.RateAt(500*time.Millisecond), l.RateAt(s))
	}
	c := Load{Concurrency: 50, ConcurrencyStages: Stages{{s, 4}}}
	if c.Endless() || c.OpenLoop() || c.Workers() != 4 || c.ConcurrencyAt(500*time.Millisecond) != 2 {
		t.Errorf("concurrency stages: Endless %v, OpenLoop %v, Workers %d, ConcurrencyAt(500ms) %d", c.Endless(), c.OpenLoop(), c.Workers(), c.ConcurrencyAt(500*time.Millisecond))
	}
}

// TestRunStages runs a ramp up, a hold and a ramp down and finds exactly the
// calls the stages hold handed out, and the run ended with the last stage.
// A busy machine may leave calls due at the end unstarted (counted, not
// lost), and its last call may end after the stages: the run then ends with
// that call, never earlier.
func TestRunStages(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	ms := time.Millisecond
	rec, out := runLoad(t, srv, "Unary", `{}`, func(o *Options) {
		o.Load.Stages = Stages{{200 * ms, 200}, {200 * ms, 200}, {200 * ms, 0}} // 20 + 40 + 20
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
	p := newStagesPacer(0, Stages{{200 * ms, 200}, {200 * ms, 200}, {200 * ms, 0}})
	calls := slices.SortedFunc(slices.Values(rec.calls), func(a, b CallStats) int { return a.Intended.Compare(b.Intended) })
	for i, c := range calls {
		due, _ := p.due(int64(i))
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
	opts := Options{
		Target: conn.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load:   Load{Concurrency: 50, Connections: 1, ConcurrencyStages: Stages{{30 * time.Millisecond, 3}, {time.Minute, 3}}},
		Call:   Call{Messages: 1},
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
	stages := Stages{{10 * ms, 2}, {100 * ms, 2}, {ms, 1}, {200 * ms, 1}}
	rec, out := runLoad(t, srv, "Unary", `{}`, func(o *Options) {
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
