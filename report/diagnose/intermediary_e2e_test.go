//go:build unix

package diagnose_test

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/intermediary"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// These tests put a real nginx (grpc_pass) or haproxy (mode tcp, mode http
// with h2) in front of the test server, provoke each condition with timers
// of a fraction of a second (docs/intermediaries.md), run the real runner
// through the proxy, and check the finding: its estimate, and that its fix
// names the proxy's directive.

// noWarnings fails the test on a warn or error finding.
func noWarnings(t *testing.T, s *report.Summary) {
	t.Helper()
	for _, f := range s.Findings {
		if f.Severity != report.SeverityInfo {
			t.Errorf("a healthy run through a proxy has a %s finding: %s (%s)", f.Severity, f.Title, f.ID)
		}
	}
	if s.Errors != 0 {
		t.Errorf("%d calls failed: %+v", s.Errors, s.ErrorsByMessage)
	}
}

func TestIntermediaryHealthy(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		healthy := func(o *plan.Options) { o.Load.Duration = 300 * time.Millisecond }
		t.Run("nginx", func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			noWarnings(t, load(t, intermediary.StartNginx(t, srv.Addr(), intermediary.NginxConfig{}), "Unary", "", healthy))
		})
		t.Run("haproxy tcp", func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			noWarnings(t, load(t, intermediary.StartHAProxy(t, srv.Addr(), intermediary.HAProxyConfig{}), "Unary", "", healthy))
		})
		t.Run("haproxy h2", func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			noWarnings(t, load(t, intermediary.StartHAProxy(t, srv.Addr(), intermediary.HAProxyConfig{Mode: intermediary.HAProxyHTTP2}), "Unary", "", healthy))
		})
	})
}

// nginx keepalive_requests 5: a GOAWAY every 5 calls, none fails.
func TestIntermediaryNginxRequestCap(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		addr := intermediary.StartNginx(t, srv.Addr(), intermediary.NginxConfig{KeepaliveRequests: 5})
		s := load(t, addr, "Unary", "", func(o *plan.Options) { o.Load.Total, o.Load.Concurrency = 40, 1 })
		f := finding(t, s, "request_cap")
		if f.Severity != report.SeverityInfo {
			t.Errorf("severity %s with %d failures, want info", f.Severity, s.Errors)
		}
		checkSays(t, f, "after 5 requests", "keepalive_requests", "(nginx/", "no call failed")
	})
}

// An idle timer of 400ms, one call a second: every connection is closed
// between calls, after the same silence.
func idleRun(o *plan.Options) {
	o.Load.RPS, o.Load.Duration, o.Load.Concurrency = 1, 2500*time.Millisecond, 1
}

func TestIntermediaryNginxIdle(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		addr := intermediary.StartNginx(t, srv.Addr(), intermediary.NginxConfig{KeepaliveTimeout: 400 * time.Millisecond})
		s := load(t, addr, "Unary", "", idleRun)
		f := idleFindingOf(t, s)
		checkSays(t, f, "(nginx/", "keepalive_timeout", "keepalive pings do not help")
		estimate(t, s, f, 400*time.Millisecond)
	})
}

func TestIntermediaryHAProxyH2Idle(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		addr := intermediary.StartHAProxy(t, srv.Addr(), intermediary.HAProxyConfig{Mode: intermediary.HAProxyHTTP2, TimeoutHTTPKeepAlive: 400 * time.Millisecond})
		s := load(t, addr, "Unary", "", idleRun)
		f := idleFindingOf(t, s)
		checkSays(t, f, "haproxy (mode http)", "timeout http-keep-alive")
		estimate(t, s, f, 400*time.Millisecond)
	})
}

func TestIntermediaryHAProxyTCPIdle(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		addr := intermediary.StartHAProxy(t, srv.Addr(), intermediary.HAProxyConfig{TimeoutClient: 400 * time.Millisecond, TimeoutServer: 400 * time.Millisecond})
		s := load(t, addr, "Unary", "", idleRun)
		f := idleFindingOf(t, s)
		checkSays(t, f, "without a GOAWAY", "timeout tunnel", "cannot beat")
		estimate(t, s, f, 400*time.Millisecond)
	})
}

// haproxy mode tcp cuts calls the server takes longer than its timer to
// answer: every call fails, and the finding says so (an error).
func TestIntermediaryHAProxyTCPCutsCalls(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		addr := intermediary.StartHAProxy(t, srv.Addr(), intermediary.HAProxyConfig{TimeoutClient: 400 * time.Millisecond, TimeoutServer: 400 * time.Millisecond})
		s := load(t, addr, "Unary", "", func(o *plan.Options) {
			o.Load.Total, o.Load.Concurrency = 3, 1
			o.Metadata.Headers = headers(testserver.MDDelay, "1s")
		})
		f := finding(t, s, "intermediary_idle_timeout")
		if f.Severity != report.SeverityError {
			t.Errorf("severity %s with %d of %d calls failed, want error", f.Severity, s.Errors, s.Count)
		}
		checkSays(t, f, "cannot beat", "calls failed by it: 3")
		estimate(t, s, f, 400*time.Millisecond)
		for _, g := range s.Findings {
			if g.ID == "peer_closed_without_goaway" {
				t.Errorf("generic %s beside the timer's finding", g.ID)
			}
		}
	})
}

// estimate checks the silences before the closes against the proxy's
// timer. A busy machine (the proxy's or the client's process waiting for a
// CPU) only ever makes a close come or be seen later, never earlier: the
// shortest silence is within -20%/+50% of the timer, and every one is
// below twice it, before anything else in these runs (the next call at
// 1s, the server's answer at 1s) could end it.
func estimate(t *testing.T, s *report.Summary, f report.Finding, want time.Duration) {
	t.Helper()
	for _, e := range f.Evidence {
		if e.Name == "silence before the close" {
			for _, sp := range append([]report.Spread{}, closeSpreads(s)...) {
				if sp.Max > 0 && (sp.Min < want*8/10 || sp.Min > want*3/2 || sp.Max >= want*2) {
					t.Errorf("silence %s, want ~%s", e.Value, want)
				}
			}
			return
		}
	}
	t.Errorf("finding %s has no silence evidence: %+v", f.ID, f.Evidence)
}

func closeSpreads(s *report.Summary) []report.Spread {
	var out []report.Spread
	if g, ok := s.Connectivity.GoAwayTiming["NO_ERROR"]; ok && g.Silence != nil {
		out = append(out, *g.Silence)
	}
	if sp, ok := s.Connectivity.CloseSilence[report.ClosePeerEOF]; ok {
		out = append(out, sp)
	}
	return out
}

// A proxy timeout of 500ms in front of a server that takes 1s: every call
// ends with the proxy's 504 after ~500ms.
func TestIntermediary504(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		slow := func(o *plan.Options) {
			o.Load.Total, o.Load.Concurrency = 4, 2
			o.Metadata.Headers = headers(testserver.MDDelay, "1s")
		}
		t.Run("nginx", func(t *testing.T) {
			t.Parallel()
			s, f := timerRun(t, load, nginxTimer, "Unary", slow, "proxy_timeout_504", "nginx/1.", "a timeout of ~", "grpc_read_timeout", "no call got through")
			if f.Severity != report.SeverityError || s.Connectivity.FailureCauses[event.CauseHTTP504] != 4 {
				t.Errorf("severity %s, causes %v", f.Severity, s.Connectivity.FailureCauses)
			}
		})
		t.Run("haproxy h2", func(t *testing.T) {
			t.Parallel()
			timerRun(t, load, haproxyTimer, "Unary", slow, "proxy_timeout_504", "(haproxy)", "a timeout of ~", "timeout server")
		})
	})
}

// Streams silent after their first message: nginx resets them with
// RST_STREAM INTERNAL_ERROR, haproxy ends them without trailers.
func TestIntermediaryStreamCut(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		quiet := func(o *plan.Options) {
			o.Load.Total, o.Load.Concurrency = 2, 2
			o.Call.Messages, o.Call.StreamInterval = 2, 2*time.Second
		}
		t.Run("nginx", func(t *testing.T) {
			t.Parallel()
			timerRun(t, load, nginxTimer, "Bidi", quiet, "stream_reset_internal", "grpc_read_timeout", "heartbeat", "a timeout of ~")
		})
		t.Run("haproxy h2", func(t *testing.T) {
			t.Parallel()
			timerRun(t, load, haproxyTimer, "Bidi", quiet, "stream_cut_no_trailers", "timeout server", "haproxy", "a timeout of ~")
		})
	})
}

// nginxTimer and haproxyTimer start a proxy (nginx; haproxy in mode http,
// h2 on both sides) in front of addr with a 500ms timer on the server's
// answers (grpc_read_timeout, timeout server).
func nginxTimer(t *testing.T, addr string) string {
	return intermediary.StartNginx(t, addr, intermediary.NginxConfig{GRPCReadTimeout: 500 * time.Millisecond})
}

func haproxyTimer(t *testing.T, addr string) string {
	return intermediary.StartHAProxy(t, addr, intermediary.HAProxyConfig{Mode: intermediary.HAProxyHTTP2, TimeoutServer: 500 * time.Millisecond})
}

// timerRun runs method through the proxy that start puts in front of a
// new test server, and checks the finding id: it says each of want, and
// the calls failed at the proxy's timer.
func timerRun(t *testing.T, load loadFunc, start func(*testing.T, string) string, method string, set func(*plan.Options), id string, want ...string) (*report.Summary, report.Finding) {
	t.Helper()
	s := load(t, start(t, testserver.Start(t).Addr()), method, "", set)
	f := finding(t, s, id)
	checkSays(t, f, want...)
	failedAfter(t, s, 500*time.Millisecond, method != "Unary")
	return s, f
}

// failedAfter checks that the failures took the proxy's timer: the
// shortest within -20%/+50% (+75% for streams, their first exchange
// included), and every one below 1.9 times it, before the server's answer
// (1s) or the stream's next message (2s) would have come. A busy machine
// only makes a failure come or be seen later, never earlier.
func failedAfter(t *testing.T, s *report.Summary, want time.Duration, stream bool) {
	t.Helper()
	hi := want * 3 / 2
	if stream {
		hi = want * 7 / 4
	}
	for _, e := range s.ErrorsByMessage {
		if e.MinDuration < want*8/10 || e.MinDuration > hi || e.MaxDuration >= want*19/10 {
			t.Errorf("%q took %s to %s, want ~%s", e.Message, e.MinDuration, e.MaxDuration, want)
		}
	}
}

// idleFindingOf is the intermediary_idle_timeout finding, failing the test
// with the silences seen when there is none.
func idleFindingOf(t *testing.T, s *report.Summary) report.Finding {
	t.Helper()
	for _, f := range s.Findings {
		if f.ID == "intermediary_idle_timeout" {
			return f
		}
	}
	t.Fatalf("no intermediary_idle_timeout finding; silences %+v; goaways %v; closes %v", closeSpreads(s), s.Connectivity.GoAways, s.Connectivity.Closes)
	return report.Finding{}
}

// nginx in front of a backend that is down answers 502 at once.
func TestIntermediaryNginx502(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		addr := intermediary.StartNginx(t, srv.Addr(), intermediary.NginxConfig{})
		srv.Stop()
		s := load(t, addr, "Unary", "", func(o *plan.Options) { o.Load.Total, o.Load.Concurrency = 3, 1 })
		f := finding(t, s, "proxy_bad_gateway_502")
		checkSays(t, f, "nginx/1.", "upstream", "HTTP 502")
		if f.Severity != report.SeverityError || s.Connectivity.FailureCauses[event.CauseHTTP502] != 3 {
			t.Errorf("severity %s, causes %v", f.Severity, s.Connectivity.FailureCauses)
		}
	})
}
