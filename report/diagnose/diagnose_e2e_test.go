package diagnose_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/faultproxy"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// These tests provoke each condition the diagnosis names with a real
// grpc-go server (limits in milliseconds) or the fault proxy, run the real
// runner against it, and check the finding that comes out of Summarize.

// load runs method against addr with options adjusted by set and returns
// the summary.
func load(t *testing.T, addr, method, body string, set func(*plan.Options)) *report.Summary {
	t.Helper()
	return loadWith(t, plan.EngineGRPC, addr, method, body, set)
}

// loadFunc is load with the engine chosen.
type loadFunc func(t *testing.T, addr, method, body string, set func(*plan.Options)) *report.Summary

// forEngines runs test once per engine (grpc-go and the h2 engine), each
// a parallel subtest with load making its runs with that engine: every
// finding comes out of either engine's events.
func forEngines(t *testing.T, test func(t *testing.T, load loadFunc)) {
	for _, engine := range []string{plan.EngineGRPC, plan.EngineH2} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			test(t, func(t *testing.T, addr, method, body string, set func(*plan.Options)) *report.Summary {
				t.Helper()
				return loadWith(t, engine, addr, method, body, set)
			})
		})
	}
}

// loadWith is load with engine.
func loadWith(t *testing.T, engine, addr, method, body string, set func(*plan.Options)) *report.Summary {
	t.Helper()
	opts := plan.Options{
		Target: plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: 10 * time.Second, Engine: engine},
		Load:   plan.Load{Concurrency: 4, Connections: 1},
		Call:   plan.Call{Messages: 1},
	}
	if set != nil {
		set(&opts)
	}
	md := pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName(protoreflect.Name(method))
	reqs, err := data.NewRequests(md.Input(), []byte(body), data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(opts, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(runner.KindOf(md), opts.Load.Workers())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
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

// finding returns the finding with id, failing the test (with all the
// findings) when there is none.
func finding(t *testing.T, s *report.Summary, id string) report.Finding {
	t.Helper()
	for _, f := range s.Findings {
		if f.ID == id {
			return f
		}
	}
	var ids []string
	for _, f := range s.Findings {
		ids = append(ids, f.ID+"("+string(f.Severity)+")")
	}
	t.Fatalf("no %s finding; findings: %v; connectivity: %+v", id, ids, s.Connectivity)
	return report.Finding{}
}

func headers(kv ...string) []string {
	var h []string
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, kv[i]+": "+kv[i+1])
	}
	return h
}

func TestDiagnoseHealthyRun(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		s := load(t, srv.Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.Duration = 300 * time.Millisecond
			o.Target.Keepalive = plan.Keepalive{Time: 10 * time.Second, Timeout: 20 * time.Second}
		})
		for _, f := range s.Findings {
			if f.Severity != report.SeverityInfo {
				t.Errorf("a healthy run has a %s finding: %s", f.Severity, f.Title)
			}
		}
	})
}

func TestDiagnoseTooManyPings(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t, testserver.WithKeepalivePolicy(keepalive.EnforcementPolicy{MinTime: time.Second}))
		// Streams that stay open without data (the server delays its answers),
		// pinged every 20ms: the server's third strike ends the connection.
		s := load(t, srv.Addr(), "Bidi", "", func(o *plan.Options) {
			o.Load.Duration = 600 * time.Millisecond
			o.Load.Concurrency = 1
			o.Target.Keepalive = plan.Keepalive{Time: 20 * time.Millisecond, Timeout: time.Second}
			o.Metadata.Headers = headers(testserver.MDDelay, "300ms")
		})
		f := finding(t, s, "too_many_pings")
		if f.Severity != report.SeverityError || !strings.Contains(f.Fix, "MinTime") {
			t.Errorf("finding %+v", f)
		}
	})
}

func TestDiagnoseMaxAgeRecycling(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{
			MaxConnectionAge: 100 * time.Millisecond, MaxConnectionAgeGrace: time.Second}))
		s := load(t, srv.Addr(), "Unary", "", func(o *plan.Options) { o.Load.Duration = 500 * time.Millisecond })
		if f := finding(t, s, "max_age_recycling"); f.Severity != report.SeverityInfo {
			t.Errorf("recycling without failures is %s, want info", f.Severity)
		}
		if s.Errors != 0 {
			t.Errorf("%d calls failed under graceful recycling", s.Errors)
		}
	})
}

func TestDiagnoseStreamsCutByAge(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{
			MaxConnectionAge: 100 * time.Millisecond, MaxConnectionAgeGrace: 50 * time.Millisecond}))
		// Streams of 2s: longer than age + grace (+ grpc-go's up to 1s).
		s := load(t, srv.Addr(), "Bidi", "", func(o *plan.Options) {
			o.Load.Total = 2
			o.Load.Concurrency = 2
			o.Call.Messages = 10
			o.Call.StreamInterval = 200 * time.Millisecond
		})
		finding(t, s, "streams_cut_by_age")
	})
}

func TestDiagnoseIdleClosed(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 100 * time.Millisecond}))
		// One call every 300ms: the connection is idle in between.
		s := load(t, srv.Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.RPS = 3
			o.Load.Duration = 900 * time.Millisecond
			o.Load.Concurrency = 1
		})
		finding(t, s, "idle_closed")
	})
}

func TestDiagnoseKeepaliveDeadPeer(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		// The path goes silent when the third stream starts (on a call, not a
		// timer: under load a timer may fire before the connection is up), after
		// two streams with traffic; keepalive then finds the dead peer and the
		// third stream fails, which ends the run.
		var proxy atomic.Pointer[faultproxy.Proxy]
		srv := testserver.Start(t, testserver.AfterCalls(3, func(*testserver.Server) { proxy.Load().SetMode(faultproxy.Blackhole) }))
		proxy.Store(faultproxy.Start(t, srv.Addr()))
		s := load(t, proxy.Load().Addr(), "Bidi", "", func(o *plan.Options) {
			o.Load.Total = 3
			o.Load.Concurrency = 1
			o.Call.Messages = 5
			o.Call.StreamInterval = 20 * time.Millisecond
			o.Target.Keepalive = plan.Keepalive{Time: 50 * time.Millisecond, Timeout: 200 * time.Millisecond}
		})
		finding(t, s, "keepalive_dead_peer")
	})
}

func TestDiagnoseBlackholeUndetected(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		// The path goes silent at the first call and stays so: no call ever
		// succeeds. (With successes before it, a busy machine can make an early
		// call miss its 100ms deadline and a later one succeed: a silence that
		// ended, blackhole_survived, which is then what happened.) A number of
		// calls, not a duration, so that all 8 go into the blackhole.
		var proxy atomic.Pointer[faultproxy.Proxy]
		srv := testserver.Start(t, testserver.AfterCalls(1, func(*testserver.Server) { proxy.Load().SetMode(faultproxy.Blackhole) }))
		p := faultproxy.Start(t, srv.Addr())
		proxy.Store(p)
		s := load(t, p.Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.Total = 8
			o.Load.Concurrency = 2
			o.Call.Timeout = 100 * time.Millisecond
		})
		var missed int64
		for _, c := range s.StatusCodes {
			if c.Code == event.CodeDeadlineExceeded {
				missed = c.Count
			}
		}
		if missed != 8 {
			t.Errorf("%d calls missed their deadline, want the 8 sent into the blackhole", missed)
		}
		f := finding(t, s, "blackhole_undetected")
		if !strings.Contains(f.Fix, "keepalive") {
			t.Errorf("fix %q does not recommend keepalive", f.Fix)
		}
	})
}

// A server that dies under load resets its connections, and the reconnect
// that came at once is reset before a byte (its listen backlog held it):
// that is the crash, told by connection_refused as the next attempts are
// refused, not a silent peer such as a load balancer with no backend.
func TestDiagnoseCrashIsNotASilentPeer(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		var proxy atomic.Pointer[faultproxy.Proxy]
		srv := testserver.Start(t, testserver.AfterCalls(20, func(*testserver.Server) { proxy.Load().Crash() }))
		p := faultproxy.Start(t, srv.Addr())
		proxy.Store(p)
		s := load(t, p.Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.Duration = 600 * time.Millisecond
			o.Target.Backoff = plan.ConnectBackoff{Base: 50 * time.Millisecond, Max: 100 * time.Millisecond, Multiplier: 1.6}
		})
		t.Logf("connect failures %v, closes %v", s.Connectivity.ConnectFailures, s.Connectivity.Closes)
		finding(t, s, "connection_refused")
		for _, f := range s.Findings {
			if f.ID == "silent_peer_at_connect" {
				t.Errorf("a crash taken for a silent peer: %s", f.Title)
			}
		}
	})
}

// A deadline shorter than a round trip fails every call with nothing back
// from the server, as a blackhole would; the finding says which it is.
func TestDiagnoseDeadlineBelowRoundTrip(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		s := load(t, srv.Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.Total = 20
			o.Call.Timeout = time.Microsecond
		})
		f := finding(t, s, "deadline_below_round_trip")
		checkSays(t, f, "deadline (1µs) is shorter than one round trip", "Raise --timeout")
		for _, f := range s.Findings {
			if strings.HasPrefix(f.ID, "blackhole") {
				t.Errorf("a deadline below the round trip taken for a blackhole: %s", f.Title)
			}
		}
	})
}

func TestDiagnoseServerRestartAndRefused(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		// Stopped gracefully at the 5th call (early even on a busy machine), and
		// nothing comes back: reconnects are refused for the rest of the run.
		// The first reconnect may still reach the closing listener (accepted,
		// never served): the run lasts long enough for refused attempts after.
		srv := testserver.Start(t, testserver.AfterCalls(5, func(s *testserver.Server) { go s.GracefulStop() }))
		s := load(t, srv.Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.Duration = 500 * time.Millisecond
			o.Target.Backoff = plan.ConnectBackoff{Base: 20 * time.Millisecond, Max: 50 * time.Millisecond, Multiplier: 1.5}
		})
		finding(t, s, "server_restart")
		if f := finding(t, s, "connection_refused"); f.Severity != report.SeverityError {
			t.Errorf("refused with failed calls is %s, want error", f.Severity)
		}
	})
}

func TestDiagnosePeerClosedWithoutGoAway(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		// Reset at the 10th call, with calls in flight; the run is a number of
		// calls, not a time, so that a busy machine cannot end it first.
		var proxy atomic.Pointer[faultproxy.Proxy]
		srv := testserver.Start(t, testserver.AfterCalls(10, func(*testserver.Server) { proxy.Load().Reset() }))
		proxy.Store(faultproxy.Start(t, srv.Addr()))
		s := load(t, proxy.Load().Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.Total = 40
			o.Metadata.Headers = headers(testserver.MDDelay, "20ms") // calls in flight when the reset comes
		})
		finding(t, s, "peer_closed_without_goaway")
	})
}

func TestDiagnoseProtocolMismatchOnReconnect(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		web := httptest.NewServer(http.NotFoundHandler())
		defer web.Close()
		// At the 20th call the address starts answering with an HTTP/1 server
		// (on a call, not a timer: under load a timer may fire before the first).
		var proxy atomic.Pointer[faultproxy.Proxy]
		srv := testserver.Start(t, testserver.AfterCalls(10, func(*testserver.Server) {
			p := proxy.Load()
			p.SetUpstream(web.Listener.Addr().String())
			p.Reset()
		}))
		proxy.Store(faultproxy.Start(t, srv.Addr()))
		s := load(t, proxy.Load().Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.Total = 100 // calls after the switch reconnect: a number of calls, not a time a busy machine may end first
			o.Target.Backoff = plan.ConnectBackoff{Base: 20 * time.Millisecond, Max: 50 * time.Millisecond, Multiplier: 1.5}
		})
		finding(t, s, "tls_or_protocol_mismatch")
	})
}

func TestDiagnosePinnedBackend(t *testing.T) {
	t.Parallel()
	a, b := testserver.Start(t), testserver.Start(t)
	s := load(t, a.Addr(), "Unary", "", func(o *plan.Options) {
		o.Load.Total = 100
		o.Target.Targets = []string{b.Addr()} // two addresses, pick_first: one gets everything
	})
	finding(t, s, "pinned_backend")
	rr := load(t, a.Addr(), "Unary", "", func(o *plan.Options) {
		o.Load.Total = 2000 // enough for the second backend's connection to come up and take its share
		o.Target.Targets = []string{b.Addr()}
		o.Target.LBPolicy = "round_robin"
	})
	for _, f := range rr.Findings {
		if f.ID == "pinned_backend" {
			t.Errorf("round_robin over two backends is reported pinned: %s", f.Title)
		}
	}
}

func TestDiagnoseRetryAmplification(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	s := load(t, srv.Addr(), "Unary", "", func(o *plan.Options) {
		o.Load.Total = 50
		o.Target.Retry = plan.Retry{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
		o.Metadata.Headers = headers(testserver.MDFailAttempts, "2")
	})
	if s.OK != 50 {
		t.Errorf("%d of 50 calls succeeded; each should on its third attempt", s.OK)
	}
	finding(t, s, "retry_amplification")
	if r := s.Connectivity.Retries; r == nil || r.Attempts != 150 {
		t.Errorf("retries %+v, want 150 attempts for 50 calls", r)
	}
}

// checkSays fails the test unless f's text holds each of says.
func checkSays(t *testing.T, f report.Finding, says ...string) {
	t.Helper()
	text := f.Title + " " + f.Cause + " " + f.Fix
	for _, e := range f.Evidence {
		text += " " + e.Name + ": " + e.Value
	}
	for _, s := range says {
		if !strings.Contains(text, s) {
			t.Errorf("%s does not say %q: %s", f.ID, s, text)
		}
	}
}
