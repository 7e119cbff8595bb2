package runner

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// tally is a test Recorder that keeps everything it is told (fine for the
// small runs of tests; the real one is report.Recorder).
type tally struct {
	mu       sync.Mutex
	begin    time.Time
	end      time.Time
	began    int
	ended    int
	calls    []CallStats
	callers  []int // the worker of each call
	messages [event.NumSeries][]time.Duration
	workers  map[int]int // worker → conn
}

func (r *tally) Begin(t time.Time) { r.mu.Lock(); r.begin = t; r.began++; r.mu.Unlock() }
func (r *tally) End(t time.Time)   { r.mu.Lock(); r.end = t; r.ended++; r.mu.Unlock() }
func (r *tally) Worker(id, conn int) WorkerRecorder {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.workers == nil {
		r.workers = map[int]int{}
	}
	r.workers[id] = conn
	return tallyWorker{r, id}
}

type tallyWorker struct {
	r  *tally
	id int
}

func (w tallyWorker) Message(s event.Series, d time.Duration) {
	w.r.mu.Lock()
	w.r.messages[s] = append(w.r.messages[s], d)
	w.r.mu.Unlock()
}

func (w tallyWorker) Call(c *CallStats) {
	w.r.mu.Lock()
	if c.Start.Before(w.r.begin) {
		panic("a call before Begin was recorded")
	}
	w.r.calls = append(w.r.calls, *c)
	w.r.callers = append(w.r.callers, w.id)
	w.r.mu.Unlock()
}

func (r *tally) codes() map[codes.Code]int {
	m := map[codes.Code]int{}
	for _, c := range r.calls {
		m[c.Code]++
	}
	return m
}

func (r *tally) sum(f func(CallStats) int64) int64 {
	var n int64
	for _, c := range r.calls {
		n += f(c)
	}
	return n
}

// forEngines runs f as a parallel subtest for each engine.
func forEngines(t *testing.T, f func(t *testing.T, engine string)) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f(t, engine)
		})
	}
}

// runLoad runs method against srv with opts adjusted by set.
func runLoad(t *testing.T, srv *testserver.Server, method string, body string, set func(*plan.Options)) (*tally, Outcome) {
	t.Helper()
	rec := &tally{}
	out := runRecorded(t, testOptions(srv, set), method, body, rec, nil)
	if rec.began != 1 || rec.ended != 1 {
		t.Errorf("Begin called %d times, End %d times; want once each", rec.began, rec.ended)
	}
	return rec, out
}

// testOptions are the tests' usual options against srv (4 workers on one
// connection, one message a stream, 10s deadlines), adjusted by set.
func testOptions(srv *testserver.Server, set func(*plan.Options)) plan.Options {
	opts := plan.Options{
		Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load:   plan.Load{Concurrency: 4, Connections: 1},
		Call:   plan.Call{Timeout: 10 * time.Second, Messages: 1},
	}
	if set != nil {
		set(&opts)
	}
	return opts
}

// runRecorded runs method with body under opts into rec, within a minute;
// dial, when set, replaces the Runner's Dial.
func runRecorded(t *testing.T, opts plan.Options, method, body string, rec Recorder,
	dial func(context.Context, plan.Target, ...grpc.DialOption) (*grpc.ClientConn, error)) Outcome {
	t.Helper()
	md := pulseMethod(method)
	reqs, err := data.NewRequests(md.Input(), []byte(body), Templating(opts.Call), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if dial != nil {
		r.Dial = dial
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := r.Run(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// (With the h2 engine, unary calls, server streams and ping-pong streams
// of small messages run on the connection's reader: closedLoopAsync.)
func TestRunClosedLoopEveryKind(t *testing.T) { forEngines(t, testRunClosedLoopEveryKind) }

func testRunClosedLoopEveryKind(t *testing.T, engine string) {
	const n = 60
	tests := []struct {
		method         string
		md             []string
		messages       int
		sent, received int64 // per call
		series         map[event.Series]int
	}{
		{method: "Unary", sent: 1, received: 1},
		{method: "ServerStream", md: []string{testserver.MDMessages, "5"}, sent: 1, received: 5,
			series: map[event.Series]int{event.SeriesFirstMessage: n, event.SeriesMsgGap: 4 * n}},
		{method: "ClientStream", messages: 4, sent: 4, received: 1,
			series: map[event.Series]int{event.SeriesSendTime: 4 * n}},
		{method: "Bidi", messages: 3, sent: 3, received: 3,
			series: map[event.Series]int{event.SeriesFirstMessage: n, event.SeriesMsgGap: 2 * n, event.SeriesMsgRTT: 3 * n, event.SeriesSendTime: 3 * n}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			rec, out := runLoad(t, srv, tt.method, `{"message":"x"} {"id":2}`, func(o *plan.Options) {
				o.Load.Total, o.Target.Engine = n, engine
				if tt.messages > 0 {
					o.Call.Messages = tt.messages
				}
				o.Metadata.Headers = headers(tt.md...)
			})
			if len(rec.calls) != n || out.Aborted != 0 {
				t.Fatalf("recorded %d calls (aborted %d), want exactly %d", len(rec.calls), out.Aborted, n)
			}
			if got := srv.Calls(tt.method); got != n {
				t.Errorf("server saw %d calls, want %d", got, n)
			}
			if c := rec.codes(); c[codes.OK] != n {
				t.Errorf("codes = %v, want %d OK", c, n)
			}
			if got := rec.sum(func(c CallStats) int64 { return c.Sent }); got != tt.sent*n {
				t.Errorf("sent %d messages, want %d", got, tt.sent*n)
			}
			if got := rec.sum(func(c CallStats) int64 { return c.Received }); got != tt.received*n {
				t.Errorf("received %d messages, want %d", got, tt.received*n)
			}
			for s := range event.NumSeries {
				if got, want := len(rec.messages[s]), tt.series[s]; got != want {
					t.Errorf("series %s has %d values, want %d", s, got, want)
				}
			}
			for _, c := range rec.calls {
				if c.Intended != c.Start || c.End.Before(c.Start) || c.Late || c.Peer == nil {
					t.Fatalf("closed-loop call stats wrong: %+v", c)
				}
			}
		})
	}
}

func headers(kv ...string) []string {
	var h []string
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, kv[i]+": "+kv[i+1])
	}
	return h
}

// At -z the run stops starting calls and lets those in flight finish: a
// clean run ends with no errors and nothing aborted, even with slow calls.
func TestRunDurationDrains(t *testing.T) { forEngines(t, testRunDurationDrains) }

func testRunDurationDrains(t *testing.T, engine string) {
	srv := testserver.Start(t)
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Target.Engine = engine
		o.Load.Duration = 150 * time.Millisecond
		o.Metadata.Headers = headers(testserver.MDDelay, "40ms")
	})
	if out.Aborted != 0 || len(rec.calls) == 0 {
		t.Fatalf("aborted %d, recorded %d", out.Aborted, len(rec.calls))
	}
	if c := rec.codes(); c[codes.OK] != len(rec.calls) {
		t.Errorf("codes = %v: a clean run must end without errors", c)
	}
	if int64(len(rec.calls)) != srv.Calls("Unary") {
		t.Errorf("recorded %d calls, the server saw %d", len(rec.calls), srv.Calls("Unary"))
	}
	for _, c := range rec.calls {
		if !c.Start.Before(rec.begin.Add(150 * time.Millisecond)) {
			t.Errorf("a call started at +%s, after -z", c.Start.Sub(rec.begin))
		}
	}
}

// Warm-up calls reach the server but are not recorded; -n counts recorded
// calls only.
func TestRunWarmup(t *testing.T) { forEngines(t, testRunWarmup) }

func testRunWarmup(t *testing.T, engine string) {
	srv := testserver.Start(t)
	rec, _ := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Target.Engine = engine
		o.Load.Total = 25
		o.Load.Warmup = 100 * time.Millisecond
		o.Load.Concurrency = 2
		o.Metadata.Headers = headers(testserver.MDDelay, "5ms")
	})
	if len(rec.calls) != 25 {
		t.Fatalf("recorded %d, want 25", len(rec.calls))
	}
	if got := srv.Calls("Unary"); got <= 25 {
		t.Errorf("server saw %d calls: no warm-up calls were made", got)
	}
	for _, c := range rec.calls {
		if c.Start.Before(rec.begin) {
			t.Fatalf("a warm-up call was recorded")
		}
	}
}

// connCounter counts the connections a server accepts.
type connCounter struct{ n atomic.Int64 }

func (c *connCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (c *connCounter) HandleRPC(context.Context, stats.RPCStats)                         {}
func (c *connCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (c *connCounter) HandleConn(_ context.Context, s stats.ConnStats) {
	if _, ok := s.(*stats.ConnBegin); ok {
		c.n.Add(1)
	}
}

func TestRunConnectionsPool(t *testing.T) {
	t.Parallel()
	counter := &connCounter{}
	srv := testserver.Start(t, testserver.WithServerOptions(grpc.StatsHandler(counter)))
	rec, _ := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Load.Total = 60
		o.Load.Concurrency = 6
		o.Load.Connections = 3
	})
	if got := counter.n.Load(); got != 3 {
		t.Errorf("server accepted %d connections, want 3", got)
	}
	for id, conn := range rec.workers {
		if conn != id%3 {
			t.Errorf("worker %d on connection %d, want %d", id, conn, id%3)
		}
	}
	perConn := map[int]int{}
	for _, c := range rec.calls {
		perConn[c.Conn]++
	}
	if len(perConn) != 3 {
		t.Errorf("calls per connection %v, want all 3 used", perConn)
	}
}

// Open loop: the pacer issues exactly the calls due within -z, whatever the
// machine's speed.
func TestRunRateCount(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Load.RPS = 400
		o.Load.Duration = 250 * time.Millisecond
	})
	// On a loaded machine a call can still be due when -z ends with every
	// worker busy: it is counted as unstarted. Every call due is one or the other.
	if int64(len(rec.calls))+out.Unstarted != 100 || out.Aborted != 0 {
		t.Fatalf("recorded %d calls, %d unstarted (aborted %d), want 100 in all (400/s for 250ms)",
			len(rec.calls), out.Unstarted, out.Aborted)
	}
	// Each call counts from its place on the grid (begin + i × 2.5ms), or
	// from at most a timer's slack after it when a worker took it at once.
	intended := make([]time.Time, len(rec.calls)) // the unstarted are the last due: the grid holds for the rest
	for i, c := range rec.calls {
		intended[i] = c.Intended
	}
	slices.SortFunc(intended, func(a, b time.Time) int { return a.Compare(b) })
	for i, at := range intended {
		due := rec.begin.Add(time.Duration(i) * 2500 * time.Microsecond)
		if off := at.Sub(due); off < 0 || off >= timerSlack {
			t.Fatalf("call %d counts from %s after its due time", i, off)
		}
	}
}

// Latency counts from when a call was due. With one worker and a server
// slower than the rate, calls queue: latency grows while service time stays
// at the server's delay, and the calls that found no free worker are late.
func TestRunOpenLoopNoCoordinatedOmission(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Load.RPS = 100 // due every 10ms
		o.Load.Total = 20
		o.Load.MaxInflight = 1
		o.Metadata.Headers = headers(testserver.MDDelay, "20ms") // each takes 20ms
	})
	if len(rec.calls) != 20 {
		t.Fatalf("recorded %d calls", len(rec.calls))
	}
	var maxLatency, maxService time.Duration
	late := 0
	for _, c := range rec.calls {
		maxLatency = max(maxLatency, c.End.Sub(c.Intended))
		maxService = max(maxService, c.End.Sub(c.Start))
		if c.Late {
			late++
		}
	}
	// The 20th call is due at 190ms and cannot start before 19*20ms = 380ms.
	if maxLatency < 180*time.Millisecond {
		t.Errorf("max latency %s: queueing behind the slow server is not counted", maxLatency)
	}
	if maxService > maxLatency/2 {
		t.Errorf("max service time %s is not far below max latency %s", maxService, maxLatency)
	}
	// A call the pacer itself reached late (a busy machine stalled the
	// client) is told as pacer-late, not as a late start: every call that
	// did not start when due is one or the other.
	if late+int(out.PacerLate) < 15 {
		t.Errorf("%d late starts and %d pacer-late, want most of the 20", late, out.PacerLate)
	}
}

// A server that stalls during a rate run shows the stall in the latency
// tail, as users see it, while service time counts from when each call
// really started. The pause window is taken from the server's side, and the
// checks are those that hold however busy the machine is: a loaded machine
// slows every call (20 workers at 500/s), which moves service times but not
// what the pause does to the calls due during it.
func TestRunServerPauseShowsInP99(t *testing.T) {
	t.Parallel()
	const stall = 400 * time.Millisecond
	var pausedAt, resumedAt time.Time // written before resumed is closed
	resumed := make(chan struct{})
	srv := testserver.Start(t, testserver.AfterCalls(100, func(s *testserver.Server) {
		s.Pause()
		pausedAt = time.Now() // every call started from now on is held
		time.AfterFunc(stall, func() {
			resumedAt = time.Now() // no call held can end before this
			s.Resume()
			close(resumed)
		})
	}))
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Load.RPS = 500
		o.Load.Total = 500 // calls, not a time: the 100th, and so the stall, comes however busy the machine
		o.Load.Concurrency = 20
	})
	// Every call due is recorded: -n ends the run once the 500th is.
	if len(rec.calls) != 500 || out.Unstarted != 0 || srv.Calls("Unary") < 100 {
		t.Fatalf("recorded %d calls, %d unstarted, %d made; want 500 recorded", len(rec.calls), out.Unstarted, srv.Calls("Unary"))
	}
	<-resumed
	latency := make([]time.Duration, 0, len(rec.calls))
	var due, dueEarly, startedHeld, late int // calls due during the stall, ...
	for _, c := range rec.calls {
		latency = append(latency, c.End.Sub(c.Intended))
		if c.Start.Before(c.Intended) || c.End.Before(c.Start) {
			t.Fatalf("call due at %s started at %s, ended at %s", c.Intended, c.Start, c.End)
		}
		if c.Intended.Before(pausedAt) || !c.Intended.Before(resumedAt) {
			continue
		}
		due++
		// The stall shows in the latency of every call due during it.
		if c.End.Before(resumedAt) {
			t.Errorf("call due %s into the stall ended %s before the resume", c.Intended.Sub(pausedAt), resumedAt.Sub(c.End))
		}
		if !c.Intended.After(resumedAt.Add(-300 * time.Millisecond)) {
			dueEarly++
		}
		if c.Start.Before(resumedAt) {
			startedHeld++
		}
		if c.Late {
			late++
		}
	}
	// Service time counts from the start: only a worker free during the
	// stall can start a call then, and it is held until the resume, so at
	// most one per worker started before it. The rest waited for a worker
	// (late, or pacer-late when the client itself fell behind, or cut
	// unstarted at the end) and their service time is after the resume.
	if startedHeld > 20 {
		t.Errorf("%d of the %d calls due during the stall started before the resume: service time counts from the due time", startedHeld, due)
	}
	if got := late + int(out.PacerLate+out.Unstarted); due > 20 && got < due-startedHeld {
		t.Errorf("%d late, %d pacer-late, %d unstarted; want the %d calls due during the stall that found no free worker",
			late, out.PacerLate, out.Unstarted, due-startedHeld)
	}
	// Idle, 150 calls are due in the stall's first 300ms (30% of 500).
	slices.Sort(latency)
	if p99 := latency[len(latency)*99/100]; dueEarly*100 > len(latency)*2 && p99 < 300*time.Millisecond {
		t.Errorf("latency p99 %s does not show the %s stall (%d calls due more than 300ms before its end)", p99, stall, dueEarly)
	}
}

func TestRunScheduleRamp(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		if err := o.Load.Schedule.Set("ramp:0,400,500ms"); err != nil {
			t.Fatal(err)
		}
	})
	// The calls due over a ramp from 0 to 400/s in 0.5s: the area, 100
	// (recorded, or unstarted when a loaded machine left one due at the end).
	if n := int64(len(rec.calls)) + out.Unstarted; n < 99 || n > 101 {
		t.Errorf("recorded %d calls, %d unstarted, want 100 in all", len(rec.calls), out.Unstarted)
	}
}

// Ctrl-C stops the run at once: calls in flight are cut short and counted as
// aborted, not as errors, and nothing is left running.
func TestRunInterrupt(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { testRunInterrupt(t, engine) })
	}
}

func testRunInterrupt(t *testing.T, engine string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// At the third call every worker holds a call the server sits on.
	srv := testserver.Start(t, testserver.AfterCalls(3, func(*testserver.Server) { cancel() }))
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := plan.Options{
		Target:   plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second, Engine: engine},
		Metadata: plan.Metadata{Headers: headers(testserver.MDDelay, "1m")},
		Load:     plan.Load{Concurrency: 3, Connections: 1},
		Call:     plan.Call{Messages: 1},
	}
	r, err := New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	rec := &tally{}
	out, err := r.Run(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Interrupted || out.Aborted != 3 || len(rec.calls) != 0 {
		t.Errorf("outcome %+v, %d recorded; want interrupted with 3 aborted and none recorded", out, len(rec.calls))
	}
}

// A server that goes away mid-run makes calls fail; the run neither crashes
// nor hangs, ends on time, and records the failures.
func TestRunServerDisappears(t *testing.T) { forEngines(t, testRunServerDisappears) }

func testRunServerDisappears(t *testing.T, engine string) {
	// Calls from the 20th are held until the stop cuts them: it lands
	// mid-run however slow the machine.
	srv := testserver.Start(t, testserver.AfterCalls(20, func(s *testserver.Server) { s.Pause(); go s.Stop() }))
	rec, _ := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Target.Engine = engine
		o.Load.Total = 100 // a number of calls, not a time a busy machine could end before the 20th
		o.Load.Concurrency = 2
	})
	c := rec.codes()
	if c[codes.OK] < 10 || c[codes.Unavailable] == 0 {
		t.Errorf("codes = %v; want the calls before the stop to succeed and later ones to be Unavailable", c)
	}
}

func TestRunTemplate(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	rec, _ := runLoad(t, srv, "Unary", `{"id": {{.RequestNumber}}, "message": "w{{.WorkerID}}-{{randString 4}}-{{randInt 1 9}}"}`,
		func(o *plan.Options) {
			o.Load.Total = 30
			o.Call.Template = true
		})
	if c := rec.codes(); c[codes.OK] != 30 {
		t.Errorf("codes = %v", c)
	}
}

// -z ends the run even when a stalled server holds every worker: the drain
// limit then cuts the held calls, which are aborted, not recorded.
func TestRunDurationWithStalledServer(t *testing.T) {
	forEngines(t, testRunDurationWithStalledServer)
}

func testRunDurationWithStalledServer(t *testing.T, engine string) {
	for _, open := range []bool{false, true} {
		t.Run(map[bool]string{false: "closed", true: "open"}[open], func(t *testing.T) {
			t.Parallel()
			// Paused from the start, and never resumed during the run: a
			// stall that does not wait for the machine to make calls
			// first, so -z always ends a stalled run.
			srv := testserver.Start(t)
			srv.Pause()
			defer srv.Resume()
			start := time.Now()
			rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
				o.Target.Engine = engine
				o.Load.Duration = 300 * time.Millisecond
				o.Load.Concurrency = 3
				o.Call.Timeout = 0 // the drain limit, not a deadline, must end the held calls
				if open {
					o.Load.RPS = 100
				}
			})
			// 300ms of calls, then at most the 1s drain limit.
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the run took %s", took)
			}
			// No call ends: none is recorded, and every call the server
			// holds (one per worker, 3 when idle) is aborted at the drain
			// limit, as is any call started that had not reached it.
			recorded := int64(len(rec.calls))
			if held := srv.Calls("Unary"); recorded != 0 || out.Aborted < held || out.Aborted > 3 {
				t.Errorf("%d recorded, %d held by the server, %d aborted; want none recorded, and those held aborted (at most 3)",
					recorded, held, out.Aborted)
			}
			// 100/s for 300ms: the calls due after those handed out are
			// unstarted, as the pacer could not hand any out during the stall.
			if open && recorded+out.Aborted+out.Unstarted != 30 {
				t.Errorf("%d recorded, %d aborted, %d unstarted; want 30 in all", recorded, out.Aborted, out.Unstarted)
			}
		})
	}
}

// A bidi server that answers several times per request, with responses
// large enough to fill HTTP/2 flow-control windows, must not deadlock the
// stream: the receiver never waits for the sender.
func TestRunBidiManyResponsesPerRequest(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	rec, _ := runLoad(t, srv, "Bidi", `{"payload": "`+strings.Repeat("A", 400_000)+`"}`, func(o *plan.Options) {
		o.Load.Total = 2
		o.Load.Concurrency = 2
		o.Call.Messages = 20
		o.Metadata.Headers = headers(testserver.MDMessages, "3", testserver.MDSize, "300000")
		slowCalls(o) // 16 MB up and 36 MB down under -race on a busy machine took over 10s
	})
	if c := rec.codes(); c[codes.OK] != 2 {
		t.Fatalf("codes %v", c)
	}
	if got := rec.sum(func(c CallStats) int64 { return c.Received }); got != 2*20*3 {
		t.Errorf("received %d, want 120", got)
	}
	if got := len(rec.messages[event.SeriesMsgRTT]); got != 2*20 {
		t.Errorf("%d round trips, want one per send (40)", got)
	}
	if got := len(rec.messages[event.SeriesSendTime]); got != 2*20 {
		t.Errorf("%d send times, want 40", got)
	}
}

// Ctrl-C during warm-up: Begin is never after End, and warm-up calls are not
// counted as aborted.
func TestRunInterruptDuringWarmup(t *testing.T) { forEngines(t, testRunInterruptDuringWarmup) }

func testRunInterruptDuringWarmup(t *testing.T, engine string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := testserver.Start(t, testserver.WithCallHook(func(string, metadata.MD) { cancel() }))
	md := pulseMethod("Unary")
	reqs, _ := data.NewRequests(md.Input(), nil, data.Static, nil)
	r, err := New(plan.Options{Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second, Engine: engine},
		Metadata: plan.Metadata{Headers: headers(testserver.MDDelay, "1m")},
		Load:     plan.Load{Concurrency: 2, Connections: 1, Warmup: time.Minute}, Call: plan.Call{Messages: 1}}, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	rec := &tally{}
	out, err := r.Run(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if rec.end.Before(rec.begin) {
		t.Errorf("Begin %s is after End %s", rec.begin, rec.end)
	}
	if !out.Interrupted || out.Aborted != 0 || len(rec.calls) != 0 {
		t.Errorf("outcome %+v with %d recorded; want interrupted, nothing aborted or recorded", out, len(rec.calls))
	}
}

// A template that breaks partway is the tool's fault: the run stops with the
// error instead of recording server errors.
func TestRunTemplateError(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), []byte(`{"id": {{.RequestNumber}}{{if ge .RequestNumber 3}}, "bogus": 1{{end}}}`), data.Templated, nil)
	if err != nil {
		t.Fatal(err) // request 0 renders fine
	}
	r, err := New(plan.Options{Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load: plan.Load{Concurrency: 1, Connections: 1, Total: 100}, Call: plan.Call{Messages: 1, Template: true}}, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), &tally{})
	if err == nil || !strings.Contains(err.Error(), "--template: rendering request 3") || !strings.Contains(err.Error(), `unknown field "bogus"`) {
		t.Errorf("err = %v, want the template's failure at request 3", err)
	}
	if got := srv.Calls("Unary"); got != 3 {
		t.Errorf("server saw %d calls, want the 3 before the template broke", got)
	}
}

// More workers than the server's stream slots: each waits for a slot
// (the h2 engine's ping-pong chains hand such a stream back to the
// worker's goroutine, which waits), and every stream completes.
func TestRunPingPongFewerSlots(t *testing.T) { forEngines(t, testRunPingPongFewerSlots) }

func testRunPingPongFewerSlots(t *testing.T, engine string) {
	rec, sent, got, out := fewerSlots(t, engine, "Bidi", func(o *plan.Options) {
		o.Call.Messages, o.Call.StreamPacing = 3, plan.PacingPingPong
	})
	if c := rec.codes(); c[codes.OK] != 30 || sent != 90 || got != 90 || out.Aborted != 0 {
		t.Errorf("codes %v, sent %d, received %d, aborted %d; want 30 OK streams of 3 messages", c, sent, got, out.Aborted)
	}
}

// Server streams, too, when the server allows fewer streams than there
// are workers: the h2 engine's reader cannot open the next (no slot), so
// the worker's goroutine makes that call, waiting for a slot.
func TestRunServerStreamsFewerSlots(t *testing.T) { forEngines(t, testRunServerStreamsFewerSlots) }

func testRunServerStreamsFewerSlots(t *testing.T, engine string) {
	rec, sent, got, out := fewerSlots(t, engine, "ServerStream", func(o *plan.Options) {
		o.Metadata.Headers = headers(testserver.MDMessages, "4")
	})
	if c := rec.codes(); c[codes.OK] != 30 || sent != 30 || got != 120 || out.Aborted != 0 {
		t.Errorf("codes %v, sent %d, received %d, aborted %d; want 30 OK streams of 4 answers", c, sent, got, out.Aborted)
	}
	if n := len(rec.messages[event.SeriesFirstMessage]) + len(rec.messages[event.SeriesMsgGap]); n != 120 {
		t.Errorf("%d per-message values, want 120", n)
	}
}

// fewerSlots runs 30 streams of method on 6 workers with engine against a
// server that allows 2 streams at a time, set adjusting the options; it
// returns the tally, the messages sent and received, and the outcome.
func fewerSlots(t *testing.T, engine, method string, set func(*plan.Options)) (*tally, int64, int64, Outcome) {
	t.Helper()
	srv := testserver.Start(t, testserver.WithMaxConcurrentStreams(2))
	rec, out := runLoad(t, srv, method, "", func(o *plan.Options) {
		o.Target.Engine = engine
		o.Load.Total, o.Load.Concurrency = 30, 6
		set(o)
	})
	sent, got := rec.sum(func(c CallStats) int64 { return c.Sent }), rec.sum(func(c CallStats) int64 { return c.Received })
	return rec, sent, got, out
}

// A ping-pong stream whose server answers each message many times with
// large answers: the h2 engine's reader cannot send each next message
// without waiting for the writer, so the worker's goroutine sends them
// (sendOwed). Every message goes, every answer is counted.
func TestRunPingPongManyAnswers(t *testing.T) { forEngines(t, testRunPingPongManyAnswers) }

func testRunPingPongManyAnswers(t *testing.T, engine string) {
	srv := testserver.Start(t)
	body := `{"message":"` + strings.Repeat("p", 15<<10) + `"}`
	rec, out := runLoad(t, srv, "Bidi", body, func(o *plan.Options) {
		o.Target.Engine = engine
		o.Load.Total, o.Load.Concurrency = 8, 4
		o.Metadata.Headers = headers(testserver.MDMessages, "20", testserver.MDSize, "20000")
		o.Call.Messages, o.Call.StreamPacing = 10, plan.PacingPingPong
	})
	sent, got := rec.sum(func(c CallStats) int64 { return c.Sent }), rec.sum(func(c CallStats) int64 { return c.Received })
	if c := rec.codes(); c[codes.OK] != 8 || sent != 80 || got != 8*10*20 || out.Aborted != 0 {
		t.Errorf("codes %v, sent %d, received %d, aborted %d; want 8 OK streams of 10 messages and 200 answers", c, sent, got, out.Aborted)
	}
	// One round trip per message, as each Send is followed by one Recv;
	// the other answers are gaps.
	if n := len(rec.messages[event.SeriesMsgRTT]); n != 80 {
		t.Errorf("%d round trips, want 80 (one per message)", n)
	}
}
