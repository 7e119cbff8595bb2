package runner

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// A templated request is rendered before the call's clock starts: the
// rendering is the tool's work, not the server's latency. Each message
// carries when its rendering began; the call must start after it.
func TestRunTemplateRenderedBeforeStart(t *testing.T) {
	t.Parallel()
	s := &seen{}
	srv := watchedServer(t, s)
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), []byte(`{"id": {{.RequestNumber}}, "message": "{{.TimestampUnixNano}}"}`), data.Templated, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(plan.Options{Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load: plan.Load{Concurrency: 1, Connections: 1, Total: 5}, Call: plan.Call{Messages: 1, Template: true}}, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	rec := &tally{}
	if _, err := r.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.calls) != 5 || len(s.messages) != 5 {
		t.Fatalf("%d calls recorded, %d messages seen; want 5 each", len(rec.calls), len(s.messages))
	}
	for i, c := range rec.calls { // one worker: in call order
		id, text, _ := strings.Cut(s.messages[i], "/")
		rendering, err := strconv.ParseInt(text, 10, 64)
		if id != strconv.Itoa(i) || err != nil {
			t.Fatalf("call %d: server saw %q", i, s.messages[i])
		}
		if c.Start.UnixNano() <= rendering || !c.Intended.Equal(c.Start) {
			t.Errorf("call %d: rendering began at %s, intended %s, started %s: the rendering is timed", i,
				time.Unix(0, rendering).Format(time.StampNano), c.Intended.Format(time.StampNano), c.Start.Format(time.StampNano))
		}
	}
}

// When the client itself stalls (the pacer's clock jumps a second), the
// burst of calls that were due meanwhile is the client's doing: pacer-late,
// not late starts blamed on busy workers, and still counted from when each
// was due.
func TestPacerBlamesClientStall(t *testing.T) {
	t.Parallel()
	// The client freezes for a second 115ms in: after call 11 was due
	// (110ms), before call 12 (120ms). The jump comes from the clock, not
	// from this test's progress, and the tickets have room to wait, so a
	// worker is always free: the only lateness there can be is the
	// client's, however busy the machine.
	from := time.Now()
	s := &run{Runner: &Runner{opts: plan.Options{Load: plan.Load{Total: 60}}}, stopCh: make(chan struct{}),
		clock: func() time.Time {
			now := time.Now()
			if now.Sub(from) >= 115*time.Millisecond {
				return now.Add(time.Second)
			}
			return now
		}}
	tickets := make(chan ticket, 60)
	go func() {
		defer close(tickets)
		if err := s.paceFrom(context.Background(), plan.ConstantPacer(100), from, time.Time{}, true, tickets); err != nil {
			t.Error(err)
		}
	}()
	var got []ticket
	for tk := range tickets {
		got = append(got, tk)
	}
	if len(got) != 60 {
		t.Fatalf("%d tickets, want 60", len(got))
	}
	// A worker was always free: no call is a late start.
	const frozen = 12
	for i, tk := range got {
		if tk.late {
			t.Errorf("call %d marked late: busy workers blamed for the client's stall", i)
		}
		if i < frozen {
			continue
		}
		if !tk.intended.Equal(from.Add(time.Duration(i) * 10 * time.Millisecond)) {
			t.Errorf("call %d counts from %s, not from when it was due", i, tk.intended.Sub(from))
		}
	}
	// Calls 12 to 59 were due during the freeze; a busy machine may make
	// the pacer reach a few of the first twelve only after the jump too.
	if n := s.pacerLate.Load(); n < 60-frozen || n > 60 {
		t.Errorf("pacer-late %d, want the %d calls due during the client's freeze (and at most the 12 before)", n, 60-frozen)
	}
}

// An absurd rate ends within -z and the drain limit, and Ctrl-C ends it at once.
func TestRunAbsurdRate(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	start := time.Now()
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Load.RPS = 1e12
		o.Load.Duration = 200 * time.Millisecond
	})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a 200ms run at 1e12/s took %s", took)
	}
	if n := int64(len(rec.calls)) + out.Unstarted + out.Aborted; n < 2e11-1e3 || n > 2e11 {
		t.Errorf("%d recorded + %d unstarted + %d aborted, want the 2e11 calls due in 200ms", len(rec.calls), out.Unstarted, out.Aborted)
	}

	// Without -z, only Ctrl-C ends it: promptly.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	srv2 := testserver.Start(t, testserver.AfterCalls(10, func(*testserver.Server) {
		cancelled = time.Now()
		cancel()
	}))
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(plan.Options{Target: plan.Target{Addr: srv2.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load: plan.Load{Concurrency: 4, Connections: 1, RPS: 1e12}, Call: plan.Call{Messages: 1}}, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	tl := &tally{}
	out, err = r.Run(ctx, tl)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(cancelled); !out.Interrupted || took > time.Second {
		t.Errorf("interrupted %v; the run took %s to end after Ctrl-C", out.Interrupted, took)
	}
}

// A rate run that was not interrupted ran for -z, even when its last call
// was due (and ended) well before: at 2 calls/s for 1s the calls are due at
// 0 and 0.5s. Its end is begin + 1s, so that its rate is 2/s, not 4/s; and
// the run does not wait in wall time for that end.
func TestRunRateEndsAtDuration(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Load.RPS = 2
		o.Load.Duration = time.Second
	})
	returned := time.Now()
	if len(rec.calls) != 2 || out.Unstarted != 0 {
		t.Fatalf("%d calls recorded, %d unstarted; want 2 and none", len(rec.calls), out.Unstarted)
	}
	if d := rec.end.Sub(rec.begin); d != time.Second {
		t.Errorf("the run's duration is %s, want the 1s of -z", d)
	}
	if !returned.Before(rec.end) {
		t.Errorf("the run returned %s after its end: it waited for -z to pass", returned.Sub(rec.end))
	}
}

// cutTally is a tally that also takes the calls a run cut.
type cutTally struct {
	tally
	cuts []cutBatch
}

type cutBatch struct {
	first      time.Time
	every      time.Duration
	n          int64
	end        time.Time
	afterCalls bool // Cut came after the last recorded call, before End
}

func (r *cutTally) Cut(first time.Time, every time.Duration, n int64, end time.Time) {
	r.mu.Lock()
	r.cuts = append(r.cuts, cutBatch{first, every, n, end, r.ended == 0})
	r.mu.Unlock()
}

// A stall that outlasts a rate run: the server holds every call of a run
// of 60 (100/s for 600ms, 3 workers) until after the run. The 3 calls held
// are cut at the 1s drain limit; the 57 calls due after them never start.
// All 60 go to the recorder, each with the time it was due and a lower
// bound on its latency that reaches past the drain limit. (The server is
// paused from the start, not after some calls, so that the stall comes
// within -z however busy the machine.)
func TestRunCutsStallPastEnd(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	srv.Pause()
	defer srv.Resume()
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(plan.Options{Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load: plan.Load{Concurrency: 3, Connections: 1, RPS: 100, Duration: 600 * time.Millisecond}, Call: plan.Call{Messages: 1}}, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	rec := &cutTally{}
	out, err := r.Run(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	// Calls 0 to 2 are held (aborted; fewer only if a worker had not taken
	// its call by -z) and calls 3 to 59 never handed out: every call due in
	// the 600ms is cut in flight or cut unstarted, none recorded.
	recorded := int64(len(rec.calls))
	if recorded != 0 || out.Aborted+out.Unstarted != 60 || out.Aborted > 3 {
		t.Fatalf("%d recorded, %d aborted, %d unstarted; want 60 cut, at most 3 aborted", recorded, out.Aborted, out.Unstarted)
	}
	// The calls held were in flight at -z, held there by the server since
	// they started (after the start of the run: at most -z).
	if out.HeldAtEnd != out.Aborted || out.Aborted > 0 && (out.HeldFor <= 0 || out.HeldFor > 600*time.Millisecond) {
		t.Errorf("held at the end: %d for %s; want the %d aborted, the longest for at most 600ms", out.HeldAtEnd, out.HeldFor, out.Aborted)
	}
	grid := func(k int64) time.Time { return rec.begin.Add(time.Duration(k) * 10 * time.Millisecond) }
	drained := rec.begin.Add(600*time.Millisecond + time.Second) // -z, then the drain limit
	var held []time.Time
	var n int64
	for _, c := range rec.cuts {
		n += c.n
		if !c.afterCalls {
			t.Errorf("Cut %+v came after End", c)
		}
		if c.end.Before(drained) {
			t.Errorf("Cut %+v ends before the drain limit %s", c, drained.Sub(rec.begin))
		}
		if c.n == 1 && c.every == 0 {
			held = append(held, c.first)
			continue
		}
		// The unstarted: the calls after those handed out, due every 10ms.
		handed := recorded + out.Aborted
		if !c.first.Equal(grid(handed)) || c.every != 10*time.Millisecond || c.n != out.Unstarted {
			t.Errorf("unstarted cut: first due at %s, every %s, %d calls; want %s, 10ms, %d",
				c.first.Sub(rec.begin), c.every, c.n, grid(handed).Sub(rec.begin), out.Unstarted)
		}
	}
	if n != out.Aborted+out.Unstarted || int64(len(held)) != out.Aborted {
		t.Fatalf("cuts %+v: %d calls, %d held; want %d and %d", rec.cuts, n, len(held), out.Aborted+out.Unstarted, out.Aborted)
	}
	// The calls held were the first handed out, each counting from its due
	// time, or a timer's slack after it.
	slices.SortFunc(held, time.Time.Compare)
	for i, at := range held {
		if off := at.Sub(grid(int64(i))); off < 0 || off >= timerSlack {
			t.Errorf("call %d counts from %s after its due time", i, off)
		}
	}
}

// Batches of unstarted calls never give a call an earlier due time than its
// true one (their latency bounds stay lower bounds), cover every call once,
// and number at most maxCutBatches.
func TestUnstartedBatches(t *testing.T) {
	t.Parallel()
	from := time.Unix(1000, 0)
	var up, down, step plan.Schedule
	for s, v := range map[*plan.Schedule]string{&up: "ramp:10,5000,3s", &down: "ramp:5000,10,3s", &step: "step:10,500,1s,3000"} {
		if err := s.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	var valley, pause plan.Stages
	for s, v := range map[*plan.Stages]string{&valley: "1s:5000,1s:10,1s:5000", &pause: "1s:8000,1s:0,1s:0,1s:8000"} {
		if err := s.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	for name, p := range map[string]plan.Pacer{"const": plan.ConstantPacer(333), "up": (&plan.Load{Schedule: up}).Pacer(), "down": (&plan.Load{Schedule: down}).Pacer(),
		"step": (&plan.Load{Schedule: step}).Pacer(), "stages valley": (&plan.Load{Stages: valley}).Pacer(), "stages pause": (&plan.Load{Stages: pause}).Pacer()} {
		u := unstartedCalls{p: p, from: from, first: 17, end: 7000}
		next, batches := u.first, 0
		u.batches(func(first time.Time, every time.Duration, n int64) {
			batches++
			for k := range n {
				d, _ := p.Due(next)
				if got, want := first.Add(time.Duration(k)*every), from.Add(d); got.Before(want) {
					t.Fatalf("%s: call %d given due time %s, before its true %s", name, next, got.Sub(from), want.Sub(from))
				}
				next++
			}
		})
		if next != u.end || batches > maxCutBatches {
			t.Errorf("%s: batches covered calls up to %d in %d batches, want %d in at most %d", name, next, batches, u.end, maxCutBatches)
		}
	}
}

// The pacer's history answers what it was doing at a due time, merges
// spans of one kind, and stays bounded.
func TestPacerHistory(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var h pacerHistory
	h.add(ms(10), ms(20), blameWorkers)
	h.add(ms(21), ms(30), blameWorkers) // within a timer's slack: merged
	h.add(ms(40), ms(50), blameClient)
	if len(h.spans) != 2 {
		t.Fatalf("spans %+v, want the two waits merged", h.spans)
	}
	for _, c := range []struct {
		at   int
		want blame
	}{{5, blameNone}, {10, blameWorkers}, {25, blameWorkers}, {35, blameNone}, {45, blameClient}, {50, blameNone}} {
		if got := h.at(ms(c.at)); got != c.want {
			t.Errorf("at %dms: %d, want %d", c.at, got, c.want)
		}
	}
	for i := range 10 * maxPacerHistory { // alternating kinds, never merged
		h.add(ms(100+10*i), ms(101+10*i), blame(1+i%2))
	}
	if n := len(h.spans) - h.head; n > maxPacerHistory || cap(h.spans) > 4*maxPacerHistory {
		t.Errorf("%d spans kept (capacity %d), want at most %d", n, cap(h.spans), maxPacerHistory)
	}
}

// A response read before a send was pushed (the sender ran between the
// receiver's clock reading and its pop) does not take that send: the send
// keeps its round trip for the response that answers it.
func TestSendQueueMatchesOnlyEarlierSends(t *testing.T) {
	t.Parallel()
	var q sendQueue
	t0 := time.Unix(1000, 0)
	q.push(t0.Add(time.Millisecond))
	if _, ok := q.popBy(t0); ok {
		t.Fatal("a response read before the send took it")
	}
	if at, ok := q.popBy(t0.Add(2 * time.Millisecond)); !ok || !at.Equal(t0.Add(time.Millisecond)) {
		t.Errorf("popBy = %s, %v; want the send, kept for its response", at, ok)
	}
	if _, ok := q.popBy(t0.Add(3 * time.Millisecond)); ok {
		t.Error("a send was matched twice")
	}
}
