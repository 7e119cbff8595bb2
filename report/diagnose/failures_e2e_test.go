//go:build unix

package diagnose_test

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/intermediary"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// errorFinding fails the test unless s has an error finding.
func errorFinding(t *testing.T, s *report.Summary) {
	t.Helper()
	for _, f := range s.Findings {
		if f.Severity == report.SeverityError {
			return
		}
	}
	t.Fatalf("%d of %d calls failed and no error finding: %+v", s.Errors, s.Count, s.Findings)
}

// Every call fails with a status the server chose: no connection problem,
// but the report must say the calls failed and with what.
func TestDiagnoseCallsFailedWithServerStatus(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		s := load(t, srv.Addr(), "Unary", "", func(o *plan.Options) {
			o.Load.Total = 40
			o.Metadata.Headers = headers(testserver.MDStatus, "8", testserver.MDStatusMessage, "quota gone")
		})
		f := finding(t, s, "calls_failed")
		if f.Severity != report.SeverityError || len(s.Findings) != 1 {
			t.Errorf("findings %+v, want calls_failed alone, as an error", s.Findings)
		}
		checkSays(t, f, "40 of 40", "RESOURCE_EXHAUSTED", "quota gone")
	})
}

// haproxy (h2 on both sides) times calls out at `timeout server`, below the
// server's delay: every call fails, and some finding must say so as an error.
func TestDiagnoseCallsFailedThroughHAProxy(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, load loadFunc) {
		srv := testserver.Start(t)
		addr := intermediary.StartHAProxy(t, srv.Addr(), intermediary.HAProxyConfig{
			Mode: intermediary.HAProxyHTTP2, TimeoutServer: 300 * time.Millisecond})
		s := load(t, addr, "Unary", "", func(o *plan.Options) {
			o.Load.Total = 8
			o.Load.Concurrency = 4
			o.Call.Timeout = 5 * time.Second
			o.Metadata.Headers = headers(testserver.MDDelay, "1s")
		})
		if s.Errors != s.Count {
			t.Fatalf("%d of %d calls failed, want all", s.Errors, s.Count)
		}
		errorFinding(t, s)
	})
}
