//go:build unix

package peers_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/peers"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// These tests run grpcpulse's runner, recorder and diagnosis (the path
// cmd/run takes, as report/diagnose's end-to-end tests do) against the
// grpc-js and C-core servers with short limits, and check what the report
// records.

// load runs method against addr with options adjusted by set and returns
// the summary with its findings.
func load(t *testing.T, addr, method string, set func(*plan.Options)) *report.Summary {
	t.Helper()
	opts := plan.Options{
		Target: plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load:   plan.Load{Concurrency: 4, Connections: 1},
		Call:   plan.Call{Messages: 1},
	}
	if e, ok := engineOf.Load(t); ok {
		opts.Target.Engine = e.(string)
	}
	if set != nil {
		set(&opts)
	}
	md := pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName(protoreflect.Name(method))
	reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(runner.KindOf(md), opts.Load.Workers())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := r.Run(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	s := rec.Summary(record.Meta{Method: method, Kind: runner.KindOf(md),
		Options: r.Options(), Outcome: runner.Outcome{Aborted: out.Aborted, Attempts: out.Attempts}, Notes: opts.Target.Notes()})
	s.Findings = diagnose.Findings(s)
	return s
}

func dump(t *testing.T, s *report.Summary) {
	t.Helper()
	for _, f := range s.Findings {
		t.Logf("finding %s (%s): %s\n  cause: %s\n  fix: %s\n  evidence: %v", f.ID, f.Severity, f.Title, f.Cause, f.Fix, f.Evidence)
	}
	c := s.Connectivity
	t.Logf("goaways %v closes %v rst %v settings %v causes %v reconnects %d errors %d/%d: %+v", c.GoAways, c.Closes, c.RSTStreams, c.PeerSettings, c.FailureCauses, c.Reconnects, s.Errors, s.Count, s.ErrorsByMessage)
	for _, c := range s.Connections {
		for _, e := range c.Events {
			if e.Kind == "goaway" || e.Kind == "close" || e.Kind == "rst_stream" {
				b, _ := json.Marshal(e)
				t.Logf("event %s", b)
			}
		}
	}
}

// text is a finding's words and figures, for assertions.
func text(f report.Finding) string {
	out := f.Title + "\n" + f.Cause + "\n" + f.Fix
	for _, e := range f.Evidence {
		out += "\n" + e.Name + ": " + e.Value
	}
	return out
}

// noWarnings fails the test on a warn or error finding or a failed call.
func noWarnings(t *testing.T, s *report.Summary) {
	t.Helper()
	for _, f := range s.Findings {
		if f.Severity != report.SeverityInfo {
			t.Errorf("a healthy run has a %s finding: %s (%s)", f.Severity, f.Title, f.ID)
		}
	}
	if s.Errors != 0 {
		t.Errorf("%d calls failed: %+v", s.Errors, s.ErrorsByMessage)
	}
}

// goawayEvents returns each transport's GOAWAY events, in order.
func goawayEvents(s *report.Summary) map[int][]report.Event {
	out := map[int][]report.Event{}
	for _, c := range s.Connections {
		for _, e := range c.Events {
			if e.Kind == "goaway" {
				out[e.Transport] = append(out[e.Transport], e)
			}
		}
	}
	return out
}

var peerStacks = []string{string(peers.GRPCJS), string(peers.CCore)}

// engineOf is the engine of each of eachPeer's subtests, which load runs
// with (grpc-go elsewhere).
var engineOf sync.Map // *testing.T → string

// eachPeer runs run once per peer stack and engine: every finding comes
// out of either engine's events.
func eachPeer(t *testing.T, run func(t *testing.T, stack string)) {
	for _, stack := range peerStacks {
		eachEngine(t, stack+"/", func(t *testing.T) { run(t, stack) })
	}
}

// eachEngine runs run once per engine, as parallel subtests (named prefix
// and the engine) whose load runs with it.
func eachEngine(t *testing.T, prefix string, run func(t *testing.T)) {
	for _, engine := range []string{plan.EngineGRPC, plan.EngineH2} {
		t.Run(prefix+engine, func(t *testing.T) {
			t.Parallel()
			engineOf.Store(t, engine)
			t.Cleanup(func() { engineOf.Delete(t) })
			run(t)
		})
	}
}

// cCoreSettings is C-core's first SETTINGS as the report keys it.
const cCoreSettings = "INITIAL_WINDOW_SIZE=4194303 MAX_FRAME_SIZE=4194303 MAX_HEADER_LIST_SIZE=8192 0xfe03=1"

func TestReportHealthy(t *testing.T) {
	t.Parallel()
	settings := map[string]string{"grpc-js": "", "c-core": cCoreSettings}
	eachPeer(t, func(t *testing.T, stack string) {
		srv := startServer(t, stack, limits{})
		for _, method := range []string{"Unary", "ServerStream", "Bidi"} {
			s := load(t, srv.addr, method, func(o *plan.Options) {
				o.Load.Duration = 300 * time.Millisecond
				o.Target.Keepalive = plan.Keepalive{Time: 10 * time.Second, Timeout: 20 * time.Second}
			})
			noWarnings(t, s)
			if s.Count == 0 || s.Connectivity.PeerSettings[settings[stack]] != 1 {
				t.Errorf("%s: %d calls, peer settings %v, want {%q: 1}", method, s.Count, s.Connectivity.PeerSettings, settings[stack])
			}
		}
	})
}

// ageRun recycles by age many times with calls always in flight.
func ageRun(t *testing.T, stack string) *report.Summary {
	srv := startServer(t, stack, limits{age: 300 * time.Millisecond, grace: 2 * time.Second})
	return load(t, srv.addr, "Unary", func(o *plan.Options) { o.Load.Duration = 1200 * time.Millisecond })
}

// What the report records of age recycling: per transport a first GOAWAY
// NO_ERROR with last_stream_id 2^31-1 (grpc-js says "max_age", C-core
// nothing), then one with the real last stream id; no call fails.
func TestReportMaxAge(t *testing.T) {
	t.Parallel()
	key := map[string]string{"grpc-js": "NO_ERROR max_age", "c-core": "NO_ERROR"}
	eachPeer(t, func(t *testing.T, stack string) {
		s := ageRun(t, stack)
		if s.Errors != 0 {
			t.Errorf("%d calls failed under graceful recycling: %+v", s.Errors, s.ErrorsByMessage)
		}
		if n := s.Connectivity.GoAways[key[stack]]; n < 1 || s.Connectivity.Reconnects < 1 {
			t.Errorf("GOAWAYs %v, reconnects %d: want %q and a reconnect", s.Connectivity.GoAways, s.Connectivity.Reconnects, key[stack])
		}
		for tr, es := range goawayEvents(s) {
			first := es[0]
			if first.LastStreamID != sentinel || first.Code != "NO_ERROR" {
				t.Errorf("transport %d: first GOAWAY %+v, want NO_ERROR with last_stream_id 2^31-1", tr, first.Event)
			}
			for _, e := range es[1:] {
				if e.LastStreamID == sentinel || e.LastStreamID%2 != 1 || e.Debug != "" {
					t.Errorf("transport %d: later GOAWAY %+v, want the real last stream id, no debug data", tr, e.Event)
				}
			}
		}
		// The client dates a transport from its open event, at or after
		// the server's accept: a busy client only makes the age it measures
		// shorter by the delay of that event. grpc-js's age has -10% of
		// jitter (270ms), and with two suites on two cores the open event
		// came up to ~90ms after the server's timer started (184ms): the
		// bound leaves that, and still tells an age limit from a cut at once.
		if g, ok := s.Connectivity.GoAwayTiming[key[stack]]; !ok || g.Age.Min < 150*time.Millisecond {
			t.Errorf("GOAWAY timing %+v, want ages from ~300ms (±10%%)", g)
		}
	})
}

// The diagnosis of the same runs: age recycling (never a request cap
// from 2^31-1), in the server's own terms.
func TestDiagnoseMaxAgePeers(t *testing.T) {
	t.Parallel()
	eachPeer(t, func(t *testing.T, stack string) {
		s := ageRun(t, stack)
		var found bool
		for _, f := range s.Findings {
			if f.ID == "request_cap" || strings.Contains(text(f), "1073741824") {
				t.Errorf("age recycling read as a request cap: %s", text(f))
			}
			if f.ID == "max_age_recycling" {
				found = true
				if !strings.Contains(text(f), "grpc.max_connection_age_ms") || strings.Contains(f.Fix, "keepalive.ServerParameters") {
					t.Errorf("fix not in %s's terms: %s", stack, text(f))
				}
			}
		}
		if !found {
			dump(t, s)
			t.Error("no max_age_recycling finding")
		}
	})
}

func idleRun(t *testing.T, stack string) *report.Summary {
	srv := startServer(t, stack, limits{idle: 300 * time.Millisecond})
	return load(t, srv.addr, "Unary", func(o *plan.Options) {
		o.Load.RPS, o.Load.Duration, o.Load.Concurrency = 1, 2500*time.Millisecond, 1
	})
}

// What the report records of idle closes: grpc-js GOAWAY NO_ERROR without
// debug data, C-core GOAWAY INTERNAL_ERROR "enter idle", both with
// last_stream_id 1 (the one call) after the same silence; no call fails.
func TestReportIdle(t *testing.T) {
	t.Parallel()
	key := map[string]string{"grpc-js": "NO_ERROR", "c-core": "INTERNAL_ERROR enter idle"}
	eachPeer(t, func(t *testing.T, stack string) {
		s := idleRun(t, stack)
		if s.Errors != 0 {
			t.Errorf("%d calls failed: %+v", s.Errors, s.ErrorsByMessage)
		}
		if n := s.Connectivity.GoAways[key[stack]]; n < 1 {
			t.Errorf("GOAWAYs %v, want %q", s.Connectivity.GoAways, key[stack])
		}
		for tr, es := range goawayEvents(s) {
			if es[0].LastStreamID == sentinel {
				t.Errorf("transport %d: idle GOAWAY %+v with the drain sentinel", tr, es[0].Event)
			}
		}
		// The server's timer starts when the last call ends there, a moment
		// before the client reads the call's last frame, so the silence the
		// client measures is at most the timer, less when the client is
		// slow to read: at least one close shows the whole timer.
		if g, ok := s.Connectivity.GoAwayTiming[key[stack]]; !ok || g.Silence == nil || g.Silence.Max < 280*time.Millisecond {
			t.Errorf("GOAWAY timing %+v, want closes after ~300ms of silence", g)
		}
	})
}

// The diagnosis of the same runs: an idle timer of the server (not a
// proxy), named with its estimate and the stack's own option; C-core's
// INTERNAL_ERROR said to be harmless.
func TestDiagnoseIdlePeers(t *testing.T) {
	t.Parallel()
	eachPeer(t, func(t *testing.T, stack string) {
		s := idleRun(t, stack)
		var found bool
		for _, f := range s.Findings {
			if f.Severity == report.SeverityError {
				t.Errorf("an idle close is an error: %s", text(f))
			}
			if strings.Contains(text(f), "grpc.max_connection_idle_ms") {
				found = true
				if strings.Contains(f.Title, "proxy") {
					t.Errorf("the server's idle timer blamed on a proxy: %s", text(f))
				}
			}
		}
		if !found {
			dump(t, s)
			t.Error("no finding names grpc.max_connection_idle_ms")
		}
	})
}

// Pings every 20ms on streams without data: C-core (min interval 1s,
// max_ping_strikes 2) answers GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and
// ends the stream with UNAVAILABLE "Too many pings" and RST_STREAM
// NO_ERROR; grpc-js enforces nothing.
func TestReportPingEnforcement(t *testing.T) {
	t.Parallel()
	eachPeer(t, func(t *testing.T, stack string) {
		srv := startServer(t, stack, limits{pingMin: time.Second})
		s := load(t, srv.addr, "Bidi", func(o *plan.Options) {
			o.Load.Duration, o.Load.Concurrency = 600*time.Millisecond, 1
			o.Target.Keepalive = plan.Keepalive{Time: 20 * time.Millisecond, Timeout: time.Second}
			o.Metadata.Headers = []string{testserver.MDDelay + ": 300ms"}
		})
		if stack == string(peers.GRPCJS) {
			noWarnings(t, s)
			if len(s.Connectivity.GoAways) != 0 || s.Connectivity.Keepalive.Acks < 5 {
				t.Errorf("GOAWAYs %v, ping acks %d: want none, and every ping answered", s.Connectivity.GoAways, s.Connectivity.Keepalive.Acks)
			}
			return
		}
		if s.Connectivity.GoAways["ENHANCE_YOUR_CALM too_many_pings"] < 1 || s.Connectivity.RSTStreams["NO_ERROR"] < 1 {
			t.Errorf("GOAWAYs %v, RST_STREAMs %v", s.Connectivity.GoAways, s.Connectivity.RSTStreams)
		}
		var cut bool
		for _, e := range s.ErrorsByMessage {
			cut = cut || e.Message == "Too many pings"
		}
		if !cut {
			t.Errorf("errors %+v, want UNAVAILABLE \"Too many pings\"", s.ErrorsByMessage)
		}
		var f *report.Finding
		for i := range s.Findings {
			if s.Findings[i].ID == "too_many_pings" {
				f = &s.Findings[i]
			}
		}
		if f == nil || f.Severity != report.SeverityError || !strings.Contains(f.Fix, "grpc.http2.min_recv_ping_interval_without_data_ms") {
			dump(t, s)
			t.Errorf("want a too_many_pings error whose fix names C-core's channel argument")
		}
	})
}

// restartRun stops (SIGKILL or SIGTERM) the C-core server once it has
// served 10 of a run of 150 calls at 50/s that wait for ready, and starts it
// again on the same port at once.
func restartRun(t *testing.T, kill bool) (*report.Summary, *peers.Peer) {
	p := peers.Start(t, peers.CCore, peers.Options{LogCalls: true})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := p.WaitCalls(10, 20*time.Second); err != nil {
			t.Error(err)
			return
		}
		var err error
		if kill {
			err = p.Kill()
		} else {
			err = p.Stop()
		}
		if err != nil {
			t.Error(err)
			return
		}
		p.Restart(t)
	}()
	s := load(t, p.Addr, "Unary", func(o *plan.Options) {
		o.Load.Total, o.Load.RPS, o.Load.Concurrency = 150, 50, 2
		o.Target.Retry.WaitForReady = true
		o.Target.Backoff = plan.ConnectBackoff{Base: 50 * time.Millisecond, Max: 200 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2}
	})
	<-stopped
	return s, p
}

// A crash (SIGKILL) and a restart on the same port: the transport ends
// without a GOAWAY (a FIN or a reset from the kernel), the client
// reconnects once the server is back, and the calls waiting for it
// succeed.
func TestReportKillAndRestart(t *testing.T) {
	t.Parallel()
	s, p := restartRun(t, true)
	c := s.Connectivity
	// C-core, just restarted, may also reset a connection it accepted
	// while starting: one or more closes without GOAWAY.
	if len(c.GoAways) != 0 || c.Closes["peer_eof"]+c.Closes["peer_reset"] < 1 || c.Reconnects < 1 {
		dump(t, s)
		t.Logf("server output:\n%s", p.Output())
		t.Errorf("GOAWAYs %v, closes %v, reconnects %d: want closes without GOAWAY, then a reconnect", c.GoAways, c.Closes, c.Reconnects)
	}
	if s.Count != 150 || s.Errors > 2 {
		t.Errorf("%d calls, %d failed (%+v): want 150, at most the 2 in flight failed", s.Count, s.Errors, s.ErrorsByMessage)
	}
	var found bool
	for _, f := range s.Findings {
		found = found || f.ID == "peer_closed_without_goaway" || f.ID == "server_restart"
	}
	if !found {
		dump(t, s)
		t.Error("no finding tells of a close without GOAWAY")
	}
}

// A graceful stop (SIGTERM) and a restart: C-core's drain (GOAWAY 2^31-1,
// then the real last stream id, no debug data) is recorded, and is never
// read as a request cap.
func TestReportGracefulRestart(t *testing.T) {
	t.Parallel()
	s, _ := restartRun(t, false)
	c := s.Connectivity
	if c.GoAways["NO_ERROR"] != 1 || c.Reconnects < 1 || s.Count != 150 {
		dump(t, s)
		t.Errorf("GOAWAYs %v, reconnects %d, calls %d", c.GoAways, c.Reconnects, s.Count)
	}
	for tr, es := range goawayEvents(s) {
		if es[0].LastStreamID != sentinel {
			t.Errorf("transport %d: first GOAWAY %+v, want last_stream_id 2^31-1", tr, es[0].Event)
		}
	}
	for _, f := range s.Findings {
		if f.ID == "request_cap" || strings.Contains(text(f), "1073741824") {
			t.Errorf("a graceful stop read as a request cap: %s", text(f))
		}
	}
}

func cutRun(t *testing.T, stack string) *report.Summary {
	srv := startServer(t, stack, limits{age: 300 * time.Millisecond, grace: 200 * time.Millisecond})
	// Streams of ~2s: longer than age + grace (+10% jitter).
	return load(t, srv.addr, "Bidi", func(o *plan.Options) {
		o.Load.Total, o.Load.Concurrency = 2, 2
		o.Call.Messages = 10
		o.Call.StreamInterval = 200 * time.Millisecond
	})
}

// Streams longer than age + grace are cut. C-core ends each with a
// trailers-only UNAVAILABLE "enter idle" and RST_STREAM NO_ERROR. grpc-js
// destroys the session: a stream gets RST_STREAM NO_ERROR (grpc-go: INTERNAL
// "stream terminated by RST_STREAM with error code: NO_ERROR") or the
// connection's EOF after GOAWAY "max_age" (UNAVAILABLE), whichever comes
// first for it.
func TestReportStreamsCutByAge(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"grpc-js": {
			"Unavailable " + `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"`,
			"Internal stream terminated by RST_STREAM with error code: NO_ERROR",
		},
		"c-core": {"Unavailable enter idle"},
	}
	eachPeer(t, func(t *testing.T, stack string) {
		s := cutRun(t, stack)
		if s.Errors != 2 {
			t.Errorf("%d streams failed, want both cut", s.Errors)
		}
		for _, e := range s.ErrorsByMessage {
			got := e.Code.String() + " " + e.Message
			if !slices.Contains(want[stack], got) {
				t.Errorf("a stream cut with %q, want one of %q", got, want[stack])
			}
		}
		if stack == string(peers.CCore) && s.Connectivity.RSTStreams["NO_ERROR"] < 2 {
			t.Errorf("RST_STREAMs %v, want NO_ERROR at least once a stream", s.Connectivity.RSTStreams)
		}
		if gs := goawayEvents(s)[1]; len(gs) < 2 || gs[0].LastStreamID != sentinel || gs[1].LastStreamID != 3 {
			t.Errorf("GOAWAYs %+v, want 2^31-1 then 3", gs)
		}
	})
}

// The diagnosis of the same runs: both streams cut by the age, in the
// server's terms.
func TestDiagnoseStreamsCutByAgePeers(t *testing.T) {
	t.Parallel()
	eachPeer(t, func(t *testing.T, stack string) {
		s := cutRun(t, stack)
		var found bool
		for _, f := range s.Findings {
			if f.ID == "streams_cut_by_age" {
				found = true
				if !strings.Contains(f.Title, "2 of 2") || !strings.Contains(text(f), "grpc.max_connection_age_grace_ms") {
					t.Errorf("finding %s", text(f))
				}
			}
		}
		if !found {
			dump(t, s)
			t.Error("no streams_cut_by_age finding")
		}
	})
}
