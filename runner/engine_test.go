package runner

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

var engines = []string{plan.EngineGRPC, plan.EngineH2}

// evTally is a tally that keeps connection events too.
type evTally struct {
	tally
	evMu   sync.Mutex
	events []event.Event
}

func (r *evTally) ConnEvent(e event.Event) {
	r.evMu.Lock()
	r.events = append(r.events, e)
	r.evMu.Unlock()
}

// kind returns the events of kind k.
func (r *evTally) kind(k event.EventKind) []event.Event {
	r.evMu.Lock()
	defer r.evMu.Unlock()
	var out []event.Event
	for _, e := range r.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// kinds counts the events by kind (GOAWAYs by code and debug data, states
// by state).
func (r *evTally) kinds() map[string]int {
	r.evMu.Lock()
	defer r.evMu.Unlock()
	m := map[string]int{}
	for _, e := range r.events {
		k := string(e.Kind)
		switch e.Kind {
		case event.EventGoAway:
			k += " " + e.Code + " " + e.Debug
		case event.EventState:
			k += " " + e.State
		}
		m[k]++
	}
	return m
}

// statuses counts the recorded calls by code and message.
func (r *evTally) statuses() map[string]int {
	m := map[string]int{}
	for _, c := range r.calls {
		m[fmt.Sprintf("%s %q", c.Code, status.Convert(c.Err).Message())]++
	}
	return m
}

// runEngine runs method against srv with engine and opts adjusted by set.
func runEngine(t *testing.T, srv *testserver.Server, engine, method, body string, set func(*plan.Options)) (*evTally, Outcome) {
	t.Helper()
	rec := &evTally{}
	out := runRecorded(t, testOptions(srv, func(o *plan.Options) {
		o.Target.Engine = engine
		if set != nil {
			set(o)
		}
	}), method, body, rec, nil)
	return rec, out
}

// slowCalls gives each call 45s (runRecorded bounds the run at a minute).
func slowCalls(o *plan.Options) { o.Call.Timeout = 45 * time.Second }

// TestEnginesConform makes the same calls through grpc-go and the h2
// engine against the same kind of server and requires the same outcome:
// calls and messages counted by the server and the client, statuses with
// their messages, the per-message series, and the connection events.
func TestEnginesConform(t *testing.T) {
	t.Parallel()
	big := `{"message":"` + strings.Repeat("x", 4<<20-64) + `"}`
	tests := []struct {
		name, method, body string
		md                 []string
		n                  int64
		set                func(*plan.Options)
		// raced: which of the client's deadline and the server's
		// grpc-timeout ends a call first decides its status message and
		// whether the server resets the stream: compare codes only.
		raced bool
		// sendsRaced: the server ends each stream at once (or right after
		// an answer, before it reads the message that answer let go), so
		// how many of the stream's messages went out first (and whether
		// the server reset the stream still sending) is the scheduler's to
		// decide: compare what is not raced.
		sendsRaced bool
		// conns is how many connections the run opens; 0: one per pool
		// connection.
		conns int
	}{
		{name: "unary", method: "Unary", body: `{"message":"x"} {"id":2}`, n: 40},
		{name: "server stream", method: "ServerStream", md: []string{testserver.MDMessages, "5"}, n: 20},
		{name: "client stream", method: "ClientStream", n: 20, set: func(o *plan.Options) { o.Call.Messages = 4 }},
		{name: "bidi", method: "Bidi", n: 20, set: func(o *plan.Options) { o.Call.Messages = 3 }},
		{name: "bidi ping-pong", method: "Bidi", n: 20, set: func(o *plan.Options) {
			o.Call.Messages, o.Call.StreamPacing = 3, plan.PacingPingPong
		}},
		// (Ping-pong streams of small messages run on the h2 connection's
		// reader: closedLoopAsync.)
		{name: "bidi ping-pong, two answers each", method: "Bidi", md: []string{testserver.MDMessages, "2"}, n: 10, set: pingPong(3)},
		{name: "bidi ping-pong error after answers", method: "Bidi", n: 10,
			md: []string{testserver.MDFailAfter, "2", testserver.MDStatus, "ABORTED"}, sendsRaced: true, set: pingPong(5)},
		{name: "bidi ping-pong trailers-only", method: "Bidi", n: 10, md: []string{testserver.MDStatus, "PERMISSION_DENIED"},
			sendsRaced: true, set: pingPong(2)},
		{name: "1,000-message bidi ping-pong", method: "Bidi", n: 2, set: func(o *plan.Options) {
			pingPong(1000)(o)
			o.Load.Concurrency = 1
		}},
		{name: "error status", method: "Unary", n: 10,
			md: []string{testserver.MDStatus, "NOT_FOUND", testserver.MDStatusMessage, "no such thing, 100%"}},
		{name: "stream error after messages", method: "ServerStream", n: 10,
			md: []string{testserver.MDMessages, "5", testserver.MDFailAfter, "2", testserver.MDStatus, "ABORTED"}},
		{name: "bidi trailers-only", method: "Bidi", n: 10, md: []string{testserver.MDStatus, "PERMISSION_DENIED"}, sendsRaced: true,
			set: func(o *plan.Options) { o.Call.Messages = 2 }},
		// 12 MiB under -race on a machine running two suites took over
		// the default 10s deadline: these cases are about sizes, not speed.
		{name: "4 MiB request", method: "Unary", body: big, n: 3, set: slowCalls},
		{name: "4 MiB response", method: "Unary", md: []string{testserver.MDSize, fmt.Sprint(4<<20 - 64)}, n: 3, set: slowCalls},
		{name: "over 4 MiB response", method: "Unary", md: []string{testserver.MDSize, fmt.Sprint(4<<20 + 1)}, n: 3, set: slowCalls},
		{name: "10,000-message server stream", method: "ServerStream", md: []string{testserver.MDMessages, "10000"}, n: 1,
			set: func(o *plan.Options) { o.Load.Concurrency = 1 }},
		{name: "10,000-message bidi", method: "Bidi", n: 1, set: func(o *plan.Options) {
			o.Load.Concurrency, o.Call.Messages = 1, 10000
		}},
		{name: "deadline", method: "Unary", md: []string{testserver.MDDelay, "10s"}, n: 4, raced: true,
			set: func(o *plan.Options) { o.Call.Timeout = 50 * time.Millisecond }},
		{name: "connections", method: "Unary", n: 30, set: func(o *plan.Options) { o.Load.Connections = 3 }},
		{name: "rate", method: "Unary", n: 20, set: func(o *plan.Options) { o.Load.RPS = 400 }},
		{name: "gzip", method: "Unary", body: `{"message":"pulse pulse pulse pulse"}`, md: []string{testserver.MDSize, "4096"}, n: 20, set: gzipCalls},
		{name: "gzip server stream", method: "ServerStream", md: []string{testserver.MDMessages, "5", testserver.MDSize, "1000"}, n: 10, set: gzipCalls},
		{name: "gzip bidi ping-pong", method: "Bidi", md: []string{testserver.MDSize, "1000"}, n: 10, set: func(o *plan.Options) {
			gzipCalls(o)
			o.Call.Messages, o.Call.StreamPacing = 3, plan.PacingPingPong
		}},
		{name: "gzip template", method: "Unary", body: `{"message":"{{.RequestNumber}} {{.RequestNumber}} {{.RequestNumber}}"}`, n: 10, set: func(o *plan.Options) {
			gzipCalls(o)
			o.Call.Template = true
		}},
		// 1 KiB of gzip that is 1 MiB of response, over a 64 KiB limit (a
		// small bomb: TestRunGzipBomb has one past the default 4 MiB).
		{name: "gzip bomb", method: "Unary", md: []string{testserver.MDSize, fmt.Sprint(1 << 20)}, n: 3, set: func(o *plan.Options) {
			gzipCalls(o)
			o.Target.MaxMsgSize = 64 << 10
		}},
		{name: "gzip bomb in a stream", method: "ServerStream", md: []string{testserver.MDMessages, "3", testserver.MDSize, fmt.Sprint(1 << 20)}, n: 3,
			set: func(o *plan.Options) {
				gzipCalls(o)
				o.Target.MaxMsgSize = 64 << 10
			}},
		{name: "reconnect every 10", method: "Unary", n: 40, conns: 4, set: func(o *plan.Options) {
			o.Load.Concurrency, o.Load.ReconnectEvery = 2, 10
		}},
		{name: "reconnect every call", method: "Bidi", n: 12, conns: 12, set: func(o *plan.Options) {
			o.Load.Concurrency, o.Load.ReconnectEvery, o.Call.Messages = 3, 1, 2
		}},
		// (Every call: how the calls split between the pool connections is
		// raced, and with it how many connections a count above 1 makes.)
		{name: "reconnect with connections", method: "ServerStream", md: []string{testserver.MDMessages, "3"}, n: 12, conns: 12,
			set: func(o *plan.Options) {
				o.Load.Connections, o.Load.ReconnectEvery = 2, 1
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			type result struct {
				server           int64
				statuses, series map[string]int
				sent, received   int64
				events           map[string]int
				payloads         conn.Payloads
			}
			var got [2]result
			for i, engine := range engines {
				srv := testserver.Start(t)
				rec, out := runEngine(t, srv, engine, tt.method, tt.body, func(o *plan.Options) {
					o.Load.Total = tt.n
					o.Metadata.Headers = headers(tt.md...)
					if tt.set != nil {
						tt.set(o)
					}
				})
				series, ev := conformed(t, engine, rec, out, tt.n, tt.conns)
				statuses := rec.statuses()
				server := srv.Calls(tt.method)
				if tt.raced {
					// A call whose deadline passed before its HEADERS
					// went out (a busy machine) never reached the server.
					server = 0
					statuses = map[string]int{}
					for c, n := range rec.codes() {
						statuses[c.String()] = n
					}
					delete(ev, "rst_stream")
				}
				got[i] = result{server: server, statuses: statuses, series: series,
					sent: rec.sum(func(c CallStats) int64 { return c.Sent }), received: rec.sum(func(c CallStats) int64 { return c.Received }),
					events: ev}
				if out.Payloads != nil {
					got[i].payloads = *out.Payloads
				} else if strings.HasPrefix(tt.name, "gzip") {
					t.Errorf("%s: no compressed bytes counted", engine)
				}
				if tt.sendsRaced {
					got[i].sent, got[i].series["send_time"] = 0, 0
					delete(ev, "rst_stream")
				}
			}
			g, h := got[0], got[1]
			if g.server != h.server || !maps.Equal(g.statuses, h.statuses) || g.sent != h.sent || g.received != h.received {
				t.Errorf("grpc: server %d, statuses %v, sent %d, received %d\nh2:   server %d, statuses %v, sent %d, received %d",
					g.server, g.statuses, g.sent, g.received, h.server, h.statuses, h.sent, h.received)
			}
			if !maps.Equal(g.series, h.series) {
				t.Errorf("series: grpc %v, h2 %v", g.series, h.series)
			}
			if g.payloads != h.payloads {
				t.Errorf("compressed bytes:\ngrpc %+v\nh2   %+v", g.payloads, h.payloads)
			}
			for _, k := range []string{"open", "settings", "goaway", "rst_stream", "state READY"} {
				if g.events[k] != h.events[k] {
					t.Errorf("%q events: grpc %d, h2 %d\ngrpc %v\nh2   %v", k, g.events[k], h.events[k], g.events, h.events)
				}
			}
		})
	}
}

// pingPong is --stream-pacing ping-pong with n messages a stream.
func pingPong(n int) func(*plan.Options) {
	return func(o *plan.Options) { o.Call.Messages, o.Call.StreamPacing = n, plan.PacingPingPong }
}

// gzipCalls is --compress gzip.
func gzipCalls(o *plan.Options) { o.Call.Compress = "gzip" }

// conformed checks what every conformance case needs of one engine's run
// (every call recorded, none aborted; one open, SETTINGS, handshake and
// READY per connection: conns, or one per pool connection when 0) and
// returns its message series and event counts.
func conformed(t *testing.T, engine string, rec *evTally, out Outcome, n int64, conns int) (series, ev map[string]int) {
	t.Helper()
	if out.Aborted != 0 || int64(len(rec.calls)) != n {
		t.Fatalf("%s: recorded %d calls, aborted %d; want %d", engine, len(rec.calls), out.Aborted, n)
	}
	series = map[string]int{}
	for s := range event.NumSeries {
		series[s.String()] = len(rec.messages[s])
	}
	ev = rec.kinds()
	if conns == 0 {
		conns = rec.workersConns()
	}
	for _, k := range []string{"open", "settings", "handshake", "state READY"} {
		if ev[k] != conns {
			t.Errorf("%s: %d %q events, want one per connection: %v", engine, ev[k], k, ev)
		}
	}
	return series, ev
}

// workersConns is how many pool connections the workers used.
func (r *tally) workersConns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	conns := map[int]bool{}
	for _, c := range r.workers {
		conns[c] = true
	}
	return len(conns)
}

// TestEnginesSendMetadata: both engines send the same metadata, constant
// and templated, and a deadline as grpc-timeout.
func TestEnginesSendMetadata(t *testing.T) {
	t.Parallel()
	var got [2][]string
	for i, engine := range engines {
		var mu sync.Mutex
		var seen []string
		srv := testserver.Start(t, testserver.WithCallHook(func(_ string, md metadata.MD) {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(md)) {
				switch {
				case strings.HasPrefix(k, "x-"), k == "grpc-timeout":
					if k == "grpc-timeout" {
						kv = append(kv, k) // its value is the time left: present is enough
						continue
					}
					kv = append(kv, k+"="+strings.Join(md[k], ","))
				}
			}
			mu.Lock()
			seen = append(seen, strings.Join(kv, " "))
			mu.Unlock()
		}))
		runEngine(t, srv, engine, "Unary", "", func(o *plan.Options) {
			o.Load.Total, o.Load.Concurrency = 3, 1
			o.Call.Template = true
			o.Metadata.Headers = []string{"x-plain: a", "x-plain: b", "x-call: n{{.RequestNumber}}", "x-raw-bin: \x01\x02"}
		})
		mu.Lock()
		got[i] = slices.Sorted(slices.Values(seen))
		mu.Unlock()
	}
	if !slices.Equal(got[0], got[1]) || len(got[0]) != 3 {
		t.Errorf("the server saw\ngrpc: %q\nh2:   %q", got[0], got[1])
	}
}

// TestEnginesServerAge: with a max connection age shorter than the run,
// both engines see GOAWAY max_age, reconnect, and lose no call.
func TestEnginesServerAge(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{
				MaxConnectionAge: 100 * time.Millisecond, MaxConnectionAgeGrace: 10 * time.Second}))
			rec, out := runEngine(t, srv, engine, "Unary", "", func(o *plan.Options) {
				o.Load.Total, o.Load.Concurrency = 100, 2 // 250ms at least
				o.Metadata.Headers = headers(testserver.MDDelay, "5ms")
			})
			if c := rec.codes(); c[codes.OK] != len(rec.calls) || len(rec.calls) == 0 || out.Aborted != 0 {
				t.Errorf("codes %v, aborted %d: calls on an aged connection go to the next", c, out.Aborted)
			}
			ev := rec.kinds()
			if ev["goaway NO_ERROR max_age"] == 0 || ev["open"] < 2 || ev["state READY"] < 2 {
				t.Errorf("events %v: want GOAWAY max_age, followed by a new connection", ev)
			}
		})
	}
}

// TestEnginesIdleUntilCalled: a connection the server ended between calls
// is replaced when the next call wants one, not at once (grpc-go's
// pick_first goes IDLE): at 2 calls/s against a 50ms max connection age,
// each call dials at most once, where an eager redial would make twenty
// connections a second. The redials are reconnects, as grpc-go's.
func TestEnginesIdleUntilCalled(t *testing.T) { forEngines(t, testEnginesIdleUntilCalled) }

func testEnginesIdleUntilCalled(t *testing.T, engine string) {
	srv := testserver.Start(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{
		MaxConnectionAge: 50 * time.Millisecond, MaxConnectionAgeGrace: 10 * time.Millisecond}))
	rec, _ := runEngine(t, srv, engine, "Unary", "", func(o *plan.Options) {
		o.Load.RPS, o.Load.Duration, o.Load.Concurrency = 2, time.Second, 1
	})
	ev := rec.kinds()
	if c := rec.codes(); c[codes.OK] != len(rec.calls) || len(rec.calls) < 2 {
		t.Fatalf("codes %v: want every call OK", c)
	}
	if ev["goaway NO_ERROR max_age"] == 0 || ev["state IDLE"] == 0 {
		t.Errorf("events %v: want connections aged out, then IDLE", ev)
	}
	if ev["dial"] > 2*len(rec.calls)+1 {
		t.Errorf("%d dials for %d calls (events %v): want a dial only when a call needs a connection", ev["dial"], len(rec.calls), ev)
	}
	// The pool's redials are reconnects after an outage: only the runner's
	// own dial reports a handshake (the report counts a handshake's
	// connection as the run's doing, with no reconnect latency).
	if ev["handshake"] != 1 || ev["open"] < 2 {
		t.Errorf("events %v: want one handshake, the runner's dial, and redials without", ev)
	}
}

// TestEnginesServerStopped: a server stopped mid-run fails the calls in
// flight and those after it UNAVAILABLE, in both engines, and the pool
// connection goes through the same states.
func TestEnginesServerStopped(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"Unary", "Bidi"} {
		for _, engine := range engines {
			t.Run(method+"/"+engine, func(t *testing.T) {
				t.Parallel()
				// The 10th call and those after it are held until the stop,
				// which Stop cuts: the stop lands mid-run however slow the
				// machine.
				srv := testserver.Start(t, testserver.AfterCalls(10, func(s *testserver.Server) { s.Pause(); go s.Stop() }))
				rec, _ := runEngine(t, srv, engine, method, "", func(o *plan.Options) {
					o.Load.Total, o.Load.Concurrency = 40, 2
					if method == "Bidi" {
						o.Call.Messages, o.Call.StreamInterval = 3, 5*time.Millisecond
					}
					o.Target.Backoff = plan.ConnectBackoff{Base: 20 * time.Millisecond, Max: 20 * time.Millisecond}
				})
				c := rec.codes()
				if c[codes.OK] < 8 || c[codes.Unavailable] == 0 || c[codes.OK]+c[codes.Unavailable] != 40 {
					t.Errorf("codes %v: want the calls before the stop OK and the rest UNAVAILABLE", c)
				}
				ev := rec.kinds()
				if ev["close"] != 1 || ev["state TRANSIENT_FAILURE"] == 0 {
					t.Errorf("events %v: want the connection closed, then failed attempts", ev)
				}
			})
		}
	}
}

// TestEnginesStickyFailure: a server gone for good makes one outage, one
// stay in TRANSIENT_FAILURE however many attempts fail in it (grpc-go's
// pick_first, gRFC A62), with either engine: the report counts outages.
func TestEnginesStickyFailure(t *testing.T) { forEngines(t, testEnginesStickyFailure) }

func testEnginesStickyFailure(t *testing.T, engine string) {
	srv := testserver.Start(t, testserver.AfterCalls(5, func(s *testserver.Server) { s.Pause(); go s.Stop() }))
	rec, _ := runEngine(t, srv, engine, "Unary", "", func(o *plan.Options) {
		o.Load.RPS, o.Load.Duration, o.Load.Concurrency = 100, 400*time.Millisecond, 2
		o.Target.Backoff = plan.ConnectBackoff{Base: 20 * time.Millisecond, Max: 20 * time.Millisecond}
	})
	ev := rec.kinds()
	if ev["dial"] < 4 || ev["state TRANSIENT_FAILURE"] != 1 || ev["state READY"] != 1 {
		t.Errorf("events %v: want several failed attempts in one TRANSIENT_FAILURE", ev)
	}
}

// TestEnginesKeepalive: both engines send keepalive pings by
// --keepalive-*, and a server that enforces a longer interval ends the
// connection with GOAWAY too_many_pings, which fails the calls in flight
// with that cause.
func TestEnginesKeepalive(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t, testserver.WithKeepalivePolicy(keepalive.EnforcementPolicy{MinTime: time.Second}))
			rec, _ := runEngine(t, srv, engine, "Bidi", "", func(o *plan.Options) {
				o.Load.Total, o.Load.Concurrency = 1, 1
				o.Target.Keepalive = plan.Keepalive{Time: 20 * time.Millisecond, Timeout: time.Second}
				o.Metadata.Headers = headers(testserver.MDDelay, "2s") // a stream open without data
			})
			ev := rec.kinds()
			if ev["ping"] == 0 || ev["ping_ack"] == 0 || ev["goaway ENHANCE_YOUR_CALM too_many_pings"] != 1 {
				t.Errorf("events %v: want pings, acks and one GOAWAY too_many_pings", ev)
			}
			if len(rec.calls) != 1 || rec.calls[0].Code != codes.Unavailable || rec.calls[0].Cause != event.CauseTooManyPings {
				t.Errorf("calls %+v: want one UNAVAILABLE with cause too_many_pings", rec.calls)
			}
		})
	}
}

// TestEnginesDeadlineBetweenSends: a --timeout that passes while a
// client stream waits out --stream-interval ends the call
// DEADLINE_EXCEEDED, as grpc-go reports it, with either engine (not
// UNKNOWN from the bare context error), and the call keeps its backend.
func TestEnginesDeadlineBetweenSends(t *testing.T) { forEngines(t, testEnginesDeadlineBetweenSends) }

func testEnginesDeadlineBetweenSends(t *testing.T, engine string) {
	srv := testserver.Start(t)
	rec, _ := runEngine(t, srv, engine, "ClientStream", "", func(o *plan.Options) {
		o.Load.Total, o.Load.Concurrency = 4, 2
		o.Call.Timeout, o.Call.Messages, o.Call.StreamInterval = 30*time.Millisecond, 10, 20*time.Millisecond
	})
	if c := rec.codes(); c[codes.DeadlineExceeded] != 4 {
		t.Errorf("codes %v, want 4 DEADLINE_EXCEEDED", c)
	}
	// grpc-go fills in grpc.Peer of a stream its context ended on a
	// goroutine of its own: the backend is read from the stream instead.
	for i, c := range rec.calls {
		if c.Peer == nil || c.Peer.String() != srv.Addr() {
			t.Errorf("call %d: peer %v, want %s", i, c.Peer, srv.Addr())
		}
	}
}
