package record

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner"
)

// A reconnect storm keeps the first and last events of each connection, and
// counts every one; memory does not grow with the number of events.
func TestConnEventsAreBounded(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	r.Begin(t0)
	const storms = 5000
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Millisecond) }
	for i := range storms {
		n := i + 1
		r.ConnEvent(event.Event{Conn: 0, Transport: n, Time: at(2 * i), Kind: event.EventOpen})
		// Every GOAWAY a new debug text: counts by reason stay bounded too.
		r.ConnEvent(event.Event{Conn: 0, Transport: n, Time: at(2*i + 1), Kind: event.EventGoAway,
			Code: "NO_ERROR", Debug: fmt.Sprintf("proxy %d", i)})
	}
	// Transports that never close stay bounded as well.
	l := r.events.conns[0]
	if len(l.live) > maxLiveTransports || len(l.head) != report.HeadEvents || cap(l.head) != report.HeadEvents || l.tailLen != report.TailEvents {
		t.Errorf("live %d, head %d (cap %d), tail %d: not bounded", len(l.live), len(l.head), cap(l.head), l.tailLen)
	}
	r.End(at(2 * storms))
	s := summarize(r, Meta{})
	c := s.Connections[0]
	const total = 2 * storms
	if len(c.Events) != report.HeadEvents+report.TailEvents || c.DroppedEvents != total-report.HeadEvents-report.TailEvents {
		t.Fatalf("kept %d events, dropped %d; want %d and %d", len(c.Events), c.DroppedEvents, report.HeadEvents+report.TailEvents, total-report.HeadEvents-report.TailEvents)
	}
	msAt := func(i int) time.Duration { return time.Duration(i) * time.Millisecond }
	if first, last := c.Events[0], c.Events[len(c.Events)-1]; first.At != 0 || first.Transport != 1 || last.At != msAt(total-1) || last.Transport != storms {
		t.Errorf("first event %+v, last %+v: want the run's first and last", first, last)
	}
	if c.Events[report.HeadEvents-1].At != msAt(report.HeadEvents-1) || c.Events[report.HeadEvents].At != msAt(total-report.TailEvents) {
		t.Errorf("events %v and %v around the gap, want %d and %d", c.Events[report.HeadEvents-1].At, c.Events[report.HeadEvents].At, report.HeadEvents-1, total-report.TailEvents)
	}
	if got := c.EventCounts; got[event.EventOpen] != storms || got[event.EventGoAway] != storms {
		t.Errorf("event counts %v, want %d of each", got, storms)
	}
	if c.Transports != storms || s.Connectivity.DroppedEvents != c.DroppedEvents {
		t.Errorf("transports %d (want %d), dropped %d/%d", c.Transports, storms, s.Connectivity.DroppedEvents, c.DroppedEvents)
	}
	if len(c.GoAways) != maxReasons+1 || c.GoAways[report.OtherReason] != storms-maxReasons {
		t.Errorf("%d GOAWAY reasons kept (other %d), want %d and the rest together", len(c.GoAways), c.GoAways[report.OtherReason], maxReasons)
	}
	if n := len(s.Connectivity.GoAwayTiming); n != maxReasons+1 {
		t.Errorf("GOAWAY timing for %d reasons, want %d (and other)", n, maxReasons)
	}
}

// ev builds a connection event at ms milliseconds after t0.
func ev(ci, transport int, at float64, kind event.EventKind) event.Event {
	return event.Event{Conn: ci, Transport: transport, Time: ms(at), Kind: kind}
}

func stateEvent(ci int, at float64, state, err string) event.Event {
	e := event.Event{Conn: ci, Time: ms(at), Kind: event.EventState, State: state, Err: err}
	if err != "" {
		e.Cause = conn.ClassifyMessage(codes.Unavailable, err, false) // as the state watcher stamps it
	}
	return e
}

// A server restart seen by one connection: the drain, refused attempts with
// backoff, and the reconnect.
func TestConnEventsMeasureReconnects(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	const refused = `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`
	events := []event.Event{
		ev(0, 1, -30, event.EventOpen), // before Begin: the dial
		{Conn: 0, Transport: 1, Time: ms(100), Kind: event.EventGoAway, Code: "NO_ERROR", Debug: "graceful_stop", LastStreamID: 1<<31 - 1},
		stateEvent(0, 100, "IDLE", ""), // the runner never reported the initial READY
		{Conn: 0, Transport: 1, Time: ms(105), Kind: event.EventGoAway, Code: "NO_ERROR", Debug: "graceful_stop", LastStreamID: 3},
		{Conn: 0, Transport: 1, Time: ms(110), Kind: event.EventClose, Err: event.ClosedByClient},
		stateEvent(0, 120, "CONNECTING", ""),
		stateEvent(0, 121, "TRANSIENT_FAILURE", refused),
		stateEvent(0, 221, "IDLE", ""),
		stateEvent(0, 221, "CONNECTING", ""),
		stateEvent(0, 222, "TRANSIENT_FAILURE", refused),
		stateEvent(0, 422, "CONNECTING", ""),
		ev(0, 2, 423, event.EventOpen),
		stateEvent(0, 424, "READY", ""),
		ev(0, 2, 900, event.EventPing),
		{Conn: 0, Transport: 2, Time: ms(900.5), Kind: event.EventPingAck, RTT: 500 * time.Microsecond},
		{Conn: 0, Transport: 2, Time: ms(950), Kind: event.EventRSTStream, Code: "CANCEL"},
	}
	r.ConnEvent(events[0])
	r.Begin(t0)
	for _, e := range events[1:] {
		r.ConnEvent(e)
	}
	r.End(ms(1000))
	s := summarize(r, Meta{Options: plan.Options{Target: plan.Target{Keepalive: plan.Keepalive{Time: 30 * time.Second}}}})
	c, cv := s.Connections[0], s.Connectivity

	if c.Events[0].At != -30*time.Millisecond || c.Events[0].Time != (time.Time{}) || c.Events[0].Conn != 0 {
		t.Errorf("first event %+v: want at -30ms, relative to Begin, with no Time", c.Events[0])
	}
	if c.Transports != 2 || c.Reconnects != 1 || cv.Connects != 2 || cv.Reconnects != 1 {
		t.Errorf("transports %d reconnects %d (run: %d, %d), want 2 and 1", c.Transports, c.Reconnects, cv.Connects, cv.Reconnects)
	}
	if got := cv.GoAways; len(got) != 1 || got[event.CauseDrainGracefulStop.GoAway()] != 1 {
		t.Errorf("GOAWAYs %v, want the drain's two frames counted once", got)
	}
	if c.EventCounts[event.EventGoAway] != 2 {
		t.Errorf("event counts %v, want both GOAWAY frames", c.EventCounts)
	}
	// Down at the GOAWAY (READY → IDLE at 100ms); the lazy wait in IDLE for
	// the next call ends at the first attempt (CONNECTING at 120ms), while
	// IDLE between failed attempts (221ms) is backoff; READY at 424ms.
	if r := c.ReconnectLatency; r == nil || r.Count != 1 || r.Max != 304*time.Millisecond {
		t.Errorf("reconnect latency %+v, want one of 304ms", r)
	}
	if h := cv.ReconnectLatency; h.Count != 1 || !within(h.Max, 304*time.Millisecond) {
		t.Errorf("run reconnect latency count %d max %v", h.Count, h.Max)
	}
	// CONNECTING/TF from 120ms to 424ms, except IDLE for 0ms at 221ms.
	if c.Unavailable != 304*time.Millisecond || cv.Unavailable != c.Unavailable {
		t.Errorf("unavailable %v (run %v), want 304ms", c.Unavailable, cv.Unavailable)
	}
	if b := cv.Backoff; b.Count != 2 || b.Min != 100*time.Millisecond || b.Max != 200*time.Millisecond {
		t.Errorf("backoff %+v, want 100ms and 200ms", b)
	}
	if got := cv.ConnectFailures; len(got) != 1 || got[event.CauseRefused] != 2 {
		t.Errorf("connect failures %v, want 2 refused", got)
	}
	if l := c.Lifetime; l == nil || l.Count != 2 || l.Min != 140*time.Millisecond || l.Max != 577*time.Millisecond {
		t.Errorf("lifetime %+v, want 140ms (closed) and 577ms (open at the end)", l)
	}
	if g := cv.GoAwayTiming[event.CauseDrainGracefulStop.GoAway()]; g.FirstAt != 100*time.Millisecond || g.Age.Max != 130*time.Millisecond {
		t.Errorf("GOAWAY timing %+v, want first at 100ms, age 130ms", g)
	}
	if k := cv.Keepalive; k.Pings != 1 || k.Acks != 1 || k.RTTMax != 500*time.Microsecond || k.Effective != 30*time.Second || k.Timeout != report.DefaultKeepaliveTimeout {
		t.Errorf("keepalive %+v", k)
	}
	if cv.RSTStreams["CANCEL"] != 1 || cv.Closes[report.CloseClient] != 1 {
		t.Errorf("rst %v closes %v", cv.RSTStreams, cv.Closes)
	}
}

// too_many_pings doubles the keepalive time of that connection only, once
// per GOAWAY, as grpc-go does.
func TestConnEventsDoubleKeepalive(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	r.Begin(t0)
	for n := 1; n <= 3; n++ {
		r.ConnEvent(ev(1, n, float64(n*100), event.EventOpen))
		r.ConnEvent(event.Event{Conn: 1, Transport: n, Time: ms(float64(n*100 + 50)), Kind: event.EventGoAway,
			Code: "ENHANCE_YOUR_CALM", Debug: "too_many_pings"})
	}
	r.ConnEvent(ev(0, 1, 10, event.EventOpen))
	r.End(ms(1000))
	s := summarize(r, Meta{Options: plan.Options{Target: plan.Target{Keepalive: plan.Keepalive{Time: 5 * time.Second}}}})
	if got := s.Connections[1].KeepaliveTime; got != 80*time.Second {
		t.Errorf("connection 1 keepalive %v, want 10s doubled 3 times", got)
	}
	if got := s.Connections[0].KeepaliveTime; got != 10*time.Second {
		t.Errorf("connection 0 keepalive %v, want 10s", got)
	}
	if k := s.Connectivity.Keepalive; k.Time != 5*time.Second || k.Effective != 80*time.Second {
		t.Errorf("keepalive %+v, want set 5s, effective 80s", k)
	}
}

// A connection that goes silent (deadlines while READY, no success after,
// nothing closed) is marked stalled; one where something noticed is not.
func TestStalledConnections(t *testing.T) {
	deadline := status.Error(codes.DeadlineExceeded, "context deadline exceeded")
	tests := []struct {
		name    string
		okAfter bool
		event   *event.Event
		want    bool
	}{
		{"silent", false, nil, true},
		{"recovered", true, nil, false},
		{"peer reset", false, &event.Event{Transport: 1, Time: ms(900), Kind: event.EventClose, Err: "read: connection reset by peer"}, false},
		{"keepalive timeout", false, &event.Event{Transport: 1, Time: ms(900), Kind: event.EventClose, Err: event.ClosedByClient, Unanswered: 20 * time.Second}, false},
		{"keepalive timeout seen a little short", false, &event.Event{Transport: 1, Time: ms(900), Kind: event.EventClose, Err: event.ClosedByClient, Unanswered: 18500 * time.Millisecond}, false},
		{"short unanswered ping", false, &event.Event{Transport: 1, Time: ms(900), Kind: event.EventClose, Err: event.ClosedByClient, Unanswered: time.Millisecond}, true},
		{"drained by the client", false, &event.Event{Transport: 1, Time: ms(900), Kind: event.EventClose, Err: event.ClosedByClient}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRecorder(event.Unary, 1)
			w := r.Worker(0, 0)
			r.ConnEvent(ev(0, 1, -5, event.EventOpen))
			r.Begin(t0)
			w.Call(&runner.CallStats{Intended: ms(0), Start: ms(0), End: ms(100), Code: codes.OK})
			for i := range 3 {
				end := ms(float64(600 + 100*i))
				w.Call(&runner.CallStats{Intended: end.Add(-500 * time.Millisecond), Start: end.Add(-500 * time.Millisecond), End: end,
					Code: codes.DeadlineExceeded, Err: deadline, Ready: true, Cause: conn.Classify(deadline, true)})
			}
			if tt.okAfter {
				w.Call(&runner.CallStats{Intended: ms(850), Start: ms(850), End: ms(860), Code: codes.OK})
			}
			if tt.event != nil {
				r.ConnEvent(*tt.event)
			}
			r.End(ms(1000))
			s := summarize(r, Meta{Options: plan.Options{Target: plan.Target{Keepalive: plan.Keepalive{Time: 10 * time.Second}}}})
			got := s.Connections[0].StalledAt
			if (got != nil) != tt.want {
				t.Fatalf("stalled at %v, want stalled %v", got, tt.want)
			}
			if got != nil && *got != 600*time.Millisecond {
				t.Errorf("stalled at %v, want 600ms (the first deadline)", *got)
			}
		})
	}
}

// ConnEvent from many transport goroutines while workers record calls and
// progress is read (run with -race); every event and call is counted.
func TestConnEventConcurrentWithCalls(t *testing.T) {
	const conns, perConn, workers, calls = 4, 2000, 8, 500
	r := New(event.Unary, workers)
	r.manualTicks = true
	r.Begin(time.Now())
	var wg sync.WaitGroup
	for ci := range conns {
		for g := range 3 { // several goroutines per connection, as grpc-go has
			wg.Go(func() {
				for i := range perConn / 4 {
					n := g*perConn + i + 1
					now := time.Now()
					r.ConnEvent(event.Event{Conn: ci, Transport: n, Time: now, Kind: event.EventOpen})
					r.ConnEvent(event.Event{Conn: ci, Transport: n, Time: now, Kind: event.EventGoAway, Code: "NO_ERROR", Debug: "max_age"})
					r.ConnEvent(event.Event{Conn: ci, Time: now, Kind: event.EventState, State: []string{"IDLE", "CONNECTING", "READY"}[i%3]})
					r.ConnEvent(event.Event{Conn: ci, Transport: n, Time: now, Kind: event.EventClose, Err: "EOF"})
				}
			})
		}
	}
	for i := range workers {
		w := r.Worker(i, i%conns)
		wg.Go(func() {
			c := okCall()
			for n := range calls {
				c.Code, c.Err = codes.OK, nil
				if n%5 == 0 {
					c.Code, c.Err = codes.Unavailable, status.Error(codes.Unavailable, "error reading from server: EOF")
					c.Cause = conn.Classify(c.Err, false)
				}
				c.End = time.Now()
				w.Call(c)
				if n%50 == 0 {
					r.Snapshot()
				}
			}
		})
	}
	wg.Wait()
	r.End(time.Now())
	s := summarize(r, Meta{})
	if s.Count != workers*calls || s.Connectivity.FailureCauses[event.CausePeerClosed] != workers*calls/5 {
		t.Errorf("count %d, peer_closed %d", s.Count, s.Connectivity.FailureCauses[event.CausePeerClosed])
	}
	const each = 3 * perConn / 4
	var events int64
	for _, c := range s.Connections {
		for _, n := range c.EventCounts {
			events += n
		}
		if c.Transports != each || c.GoAways[event.CauseDrainMaxAge.GoAway()] != each || c.Closes[report.CloseAfterGoAway] != each {
			t.Errorf("connection %d: transports %d, GOAWAYs %v, closes %v, want %d each", c.Index, c.Transports, c.GoAways, c.Closes, each)
		}
		if len(c.Events) != report.HeadEvents+report.TailEvents {
			t.Errorf("connection %d kept %d events", c.Index, len(c.Events))
		}
	}
	if want := int64(conns * each * 4); events != want {
		t.Errorf("%d events counted, want %d", events, want)
	}
}

// Summarize copies what it reads: events after it do not change a Summary.
func TestSummaryIsASnapshot(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	r.Begin(t0)
	r.ConnEvent(ev(0, 1, 1, event.EventOpen))
	r.End(ms(10))
	s := summarize(r, Meta{})
	r.ConnEvent(ev(0, 2, 20, event.EventOpen))
	if s.Connections[0].EventCounts[event.EventOpen] != 1 || len(s.Connections[0].Events) != 1 {
		t.Errorf("summary changed after the fact: %+v", s.Connections[0])
	}
}

// The silence before GOAWAYs and peer closes, the last_stream_id range and
// the server's SETTINGS reach the Connectivity; client closes and closes
// after a GOAWAY add no close silence.
func TestConnEventsSilenceAndSettings(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	r.Begin(t0)
	for n := 1; n <= 2; n++ {
		r.ConnEvent(ev(0, n, float64(n*1000), event.EventOpen))
		r.ConnEvent(event.Event{Conn: 0, Transport: n, Time: ms(float64(n*1000 + 1)), Kind: event.EventSettings, Settings: "MAX_FRAME_SIZE=16384"})
		r.ConnEvent(event.Event{Conn: 0, Transport: n, Time: ms(float64(n*1000 + 500)), Kind: event.EventGoAway, Code: "NO_ERROR",
			LastStreamID: 9, Silence: time.Duration(400+n*10) * time.Millisecond})
		r.ConnEvent(event.Event{Conn: 0, Transport: n, Time: ms(float64(n*1000 + 501)), Kind: event.EventClose, Err: "EOF", Silence: time.Millisecond})
	}
	r.ConnEvent(ev(0, 3, 3000, event.EventOpen))
	r.ConnEvent(event.Event{Conn: 0, Transport: 3, Time: ms(3300), Kind: event.EventClose, Err: "EOF", Silence: 300 * time.Millisecond})
	r.ConnEvent(ev(0, 4, 3400, event.EventOpen))
	r.ConnEvent(event.Event{Conn: 0, Transport: 4, Time: ms(3500), Kind: event.EventClose, Err: event.ClosedByClient, Silence: 50 * time.Millisecond})
	r.End(ms(4000))
	c := summarize(r, Meta{}).Connectivity
	g := c.GoAwayTiming["NO_ERROR"]
	if g.Silence == nil || g.Silence.Count != 2 || g.Silence.Min != 410*time.Millisecond || g.Silence.Max != 420*time.Millisecond {
		t.Errorf("GOAWAY silence %+v, want 2 from 410ms to 420ms", g.Silence)
	}
	if g.LastStreamMin != 9 || g.LastStreamMax != 9 {
		t.Errorf("last stream %d..%d, want 9", g.LastStreamMin, g.LastStreamMax)
	}
	if want := map[string]report.Spread{report.ClosePeerEOF: {Count: 1, Min: 300 * time.Millisecond, P50: 300 * time.Millisecond,
		Mean: 300 * time.Millisecond, Max: 300 * time.Millisecond}}; !reflect.DeepEqual(c.CloseSilence, want) {
		t.Errorf("close silence %+v, want %+v", c.CloseSilence, want)
	}
	if c.PeerSettings["MAX_FRAME_SIZE=16384"] != 2 {
		t.Errorf("peer settings %v", c.PeerSettings)
	}
}
