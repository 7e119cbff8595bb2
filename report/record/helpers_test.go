package record

import (
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	goldenfile "github.com/grpcpulse/grpcpulse/internal/golden"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// TestMain checks that End stops every ticker goroutine Begin started.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the start of every synthetic run.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

// newTestRecorder returns a Recorder whose timeline ticks only when the test
// calls tick, so that runs with injected times are deterministic.
func newTestRecorder(kind event.Kind, workers int) *Recorder {
	return NewManual(kind, workers, func() time.Time { return t0 })
}

// syntheticRun records a known run of kind through the real Recorder: 200
// calls from 4 workers over 2 connections, 2.5 s long, with a slow tail,
// late starts and two kinds of failure. Times are injected, ticks driven by
// hand.
func syntheticRun(kind event.Kind) (*Recorder, Meta) {
	const workers, conns, calls = 4, 2, 200
	r := newTestRecorder(kind, workers)
	ws := make([]runner.WorkerRecorder, workers)
	for i := range ws {
		ws[i] = r.Worker(i, i%conns)
	}
	peers := []net.Addr{
		&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 50051},
		&net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 50051},
	}
	events := syntheticEvents(kind)
	for len(events) > 0 && events[0].Time.Before(t0) { // the initial connects
		r.ConnEvent(events[0])
		events = events[1:]
	}
	r.Begin(t0)
	nextTick := t0.Add(time.Second)
	for i := range calls {
		c := syntheticCall(i)
		for !c.End.Before(nextTick) {
			r.Tick(nextTick)
			nextTick = nextTick.Add(time.Second)
		}
		for len(events) > 0 && !events[0].Time.After(c.End) {
			r.ConnEvent(events[0])
			events = events[1:]
		}
		w := ws[i%workers]
		c.Peer = peers[i%workers%conns]
		if kind.Streaming() {
			c.Sent, c.Received = 3, 3
			for m := range 3 {
				d := time.Duration(200+i%7*50+m*10) * time.Microsecond
				for s := range event.NumSeries {
					if kind.Has(s) {
						w.Message(s, d*time.Duration(s+1))
					}
				}
			}
		}
		w.Call(&c)
	}
	for _, e := range events {
		r.ConnEvent(e)
	}
	r.End(t0.Add(2500 * time.Millisecond))
	meta := Meta{
		Method:      "grpcpulse.test.v1.Pulse/" + map[event.Kind]string{event.Unary: "Unary", event.Bidi: "Bidi"}[kind],
		Kind:        kind,
		Options:     testOptions(kind),
		Outcome:     runner.Outcome{Aborted: 2},
		Tool:        "v0.1.0-test",
		GRPCVersion: "1.85.0",
	}
	meta.Notes = meta.Options.Target.Notes()
	if kind == event.Unary {
		meta.Outcome.Attempts = &conn.Attempts{Total: 229, Transparent: 2}
	}
	return r, meta
}

// ms is t0 plus n milliseconds.
func ms(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Millisecond))) }

// syntheticEvents are the connection events of a synthetic run, in time
// order. Both kinds connect before measurement and ping every 400 ms. In
// the unary run, the server recycles connection 0 by age twice
// (MaxConnectionAge ≈ 1s) and rejects the pings of connection 1, which then
// finds the server refusing for a backoff wait.
func syntheticEvents(kind event.Kind) []event.Event {
	open := func(ci, transport int, at time.Time) event.Event {
		return event.Event{Conn: ci, Transport: transport, Time: at, Kind: event.EventOpen,
			Local: fmt.Sprintf("10.0.0.9:%d", 40000+ci*10+transport), Remote: fmt.Sprintf("10.0.0.%d:50051", ci+1)}
	}
	state := func(ci int, at time.Time, s string) event.Event {
		return event.Event{Conn: ci, Time: at, Kind: event.EventState, State: s}
	}
	goaway := func(ci, transport int, at time.Time, code, debug string, last uint32) event.Event {
		return event.Event{Conn: ci, Transport: transport, Time: at, Kind: event.EventGoAway, Code: code, Debug: debug, LastStreamID: last}
	}
	closed := func(ci, transport int, at time.Time, err string) event.Event {
		return event.Event{Conn: ci, Transport: transport, Time: at, Kind: event.EventClose, Err: err}
	}
	ev := []event.Event{open(0, 1, ms(-20)), open(1, 1, ms(-18))}
	transport := [2]int{1, 1}
	for at := 400.0; at < 2500; at += 400 {
		for ci := range 2 {
			ev = append(ev,
				event.Event{Conn: ci, Transport: transport[ci], Time: ms(at + float64(ci)), Kind: event.EventPing},
				event.Event{Conn: ci, Transport: transport[ci], Time: ms(at + float64(ci) + 0.3), Kind: event.EventPingAck, RTT: 300 * time.Microsecond})
		}
	}
	if kind == event.Unary {
		for _, at := range []float64{1000, 2000} {
			n := int(at / 1000)
			ev = append(ev,
				goaway(0, n, ms(at), "NO_ERROR", "max_age", 1<<31-1),
				state(0, ms(at+0.1), "IDLE"),
				state(0, ms(at+0.2), "CONNECTING"),
				goaway(0, n, ms(at+0.4), "NO_ERROR", "max_age", 99), // the drain's second GOAWAY
				open(0, n+1, ms(at+1.5)),
				state(0, ms(at+2.1), "READY"),
				closed(0, n, ms(at+40), event.ClosedByClient))
		}
		ev = append(ev,
			goaway(1, 1, ms(600), "ENHANCE_YOUR_CALM", "too_many_pings", 7),
			state(1, ms(600.1), "IDLE"),
			closed(1, 1, ms(600.5), "EOF"),
			state(1, ms(601), "CONNECTING"),
			event.Event{Conn: 1, Time: ms(601.4), Kind: event.EventState, State: "TRANSIENT_FAILURE",
				Err:   `connection error: desc = "transport: Error while dialing: dial tcp 10.0.0.2:50051: connect: connection refused"`,
				Cause: event.CauseRefused},
			state(1, ms(702), "IDLE"),
			state(1, ms(702.1), "CONNECTING"),
			open(1, 2, ms(703.2)),
			state(1, ms(703.9), "READY"))
	}
	slices.SortStableFunc(ev, func(a, b event.Event) int { return a.Time.Compare(b.Time) })
	return ev
}

// syntheticCall is call i of a synthetic run: due every 12 ms, taking 1 to
// 5.75 ms with a 120 ms outlier every 37th call; every 50th starts 2 ms late.
func syntheticCall(i int) runner.CallStats {
	intended := t0.Add(time.Duration(i) * 12 * time.Millisecond)
	start := intended
	late := i%50 == 49
	if late {
		start = start.Add(2 * time.Millisecond)
	}
	service := time.Millisecond + time.Duration(i%20)*250*time.Microsecond
	if i%37 == 36 {
		service = 120 * time.Millisecond
	}
	c := runner.CallStats{Intended: intended, Start: start, End: start.Add(service), Code: codes.OK, Sent: 1, Received: 1, Late: late}
	switch {
	case i%23 == 22:
		c.Code = codes.Unavailable
		c.Err = status.Error(codes.Unavailable, fmt.Sprintf("connection error: desc = \"transport: Error while dialing: dial tcp 10.0.0.%d:%d: connect: connection refused\"", 1+i%2, 40000+i))
	case i%61 == 60:
		c.Code = codes.DeadlineExceeded
		c.Err = status.Error(codes.DeadlineExceeded, "context deadline exceeded")
	case i == 99:
		c.Code = codes.Code(42)
		c.Err = errors.New("server sent status 42 after 1.25s")
	}
	c.Cause = conn.Classify(c.Err, c.Ready) // as the worker stamps it
	return c
}

func testOptions(kind event.Kind) plan.Options {
	o := plan.Options{
		Target: plan.Target{Addr: "10.0.0.1:50051", Plaintext: true, ConnectTimeout: 10 * time.Second,
			Keepalive: plan.Keepalive{Time: 5 * time.Second, Timeout: 500 * time.Millisecond}},
		Metadata: plan.Metadata{Headers: []string{
			"authorization: Bearer s3cr3t",
			"x-api-key: abc123",
			"x-tenant: blue",
		}},
		Load: plan.Load{Concurrency: 4, Connections: 2, Total: 200},
		Call: plan.Call{Timeout: 20 * time.Second, Messages: 1},
	}
	if kind == event.Unary {
		o.Target.Retry = plan.Retry{MaxAttempts: 3, Codes: []string{"UNAVAILABLE"}}
	}
	if kind == event.Bidi {
		o.Call.Messages = 3
		o.Load.Total = 0
		o.Load.Duration = 2500 * time.Millisecond
		if err := o.Load.Schedule.Set("ramp:10,100,2s"); err != nil {
			panic(err)
		}
	}
	return o
}

// summarize is what cmd does after a run: the recorder's Summary, then the
// diagnosis.
func summarize(r *Recorder, meta Meta) *report.Summary {
	s := r.Summary(meta)
	s.Findings = diagnose.Findings(s)
	return s
}

// golden compares got with report/testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("..", "testdata", name), got)
}

// gateCall is a call of a hand-made run: its latency, code and, for
// streams, its per-message measurements.
type gateCall struct {
	latency  time.Duration
	code     codes.Code
	messages map[event.Series][]time.Duration
}

// recordGateCalls records calls through a Recorder of kind, all ending at
// t0 (due and started their latency before it), and ends the run at
// t0+length.
func recordGateCalls(kind event.Kind, calls []gateCall, length time.Duration) *Recorder {
	r := newTestRecorder(kind, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	for _, c := range calls {
		for s, ds := range c.messages {
			for _, d := range ds {
				w.Message(s, d)
			}
		}
		w.Call(&runner.CallStats{Intended: t0.Add(-c.latency), Start: t0.Add(-c.latency), End: t0, Code: c.code, Sent: 1, Received: 1})
	}
	r.End(t0.Add(length))
	return r
}

func gateMeta(kind event.Kind) Meta {
	return Meta{Method: "grpcpulse.test.v1.Pulse/Gate", Kind: kind,
		Options: plan.Options{Target: plan.Target{Addr: "127.0.0.1:50051"}, Load: plan.Load{Concurrency: 1, Connections: 1}, Call: plan.Call{Messages: 1}}}
}

// within reports whether got is within HdrHistogram's precision (3
// significant digits: 0.1%) of want.
func within(got, want time.Duration) bool {
	return math.Abs(float64(got-want)) <= math.Max(float64(want)/1000, report.LowestNS)
}

// jsonOf is s as report.WriteJSON writes it.
func reportJSON(t *testing.T, s *report.Summary) string {
	t.Helper()
	var b strings.Builder
	if err := report.WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// roundTrip writes s and reads it back.
func jsonRoundTrip(t *testing.T, s *report.Summary) *report.Summary {
	t.Helper()
	back, err := report.ReadJSON(strings.NewReader(reportJSON(t, s)))
	if err != nil {
		t.Fatal(err)
	}
	return back
}
func nearFloat(a, b float64) bool { return a == b || (a-b)*(a-b) < 1e-18 }
