package runner

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// run -n 10 against a server that never answers ends once nothing has
// moved for --stall-timeout: the held calls are cut (aborted) and the
// outcome says the run stalled.
func TestRunStallWatchdog(t *testing.T) { forEngines(t, testRunStallWatchdog) }

func testRunStallWatchdog(t *testing.T, engine string) {
	srv := testserver.Start(t, testserver.AfterCalls(1, (*testserver.Server).Pause)) // never answers
	defer srv.Resume()
	start := time.Now()
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Target.Engine = engine
		o.Load.Total = 10
		o.Load.StallTimeout = 500 * time.Millisecond
		o.Call.Timeout = 0 // nothing but the watchdog ends a held call
	})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the run took %s", took)
	}
	if out.Stalled < 500*time.Millisecond || out.Aborted != 4 || len(rec.calls) != 0 || out.Interrupted {
		t.Errorf("outcome %+v, %d recorded; want stalled for at least 500ms, the 4 held calls aborted, none recorded", out, len(rec.calls))
	}
}

// A slow server that still answers is not a stall, even when each call
// takes most of the stall timeout.
func TestRunStallWatchdogSlowServer(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Load.Total = 4
		o.Load.Concurrency = 1
		o.Load.StallTimeout = 500 * time.Millisecond
		o.Metadata.Headers = headers(testserver.MDDelay, "250ms")
	})
	if out.Stalled != 0 || len(rec.calls) != 4 {
		t.Errorf("outcome %+v, %d recorded; want no stall and 4 calls", out, len(rec.calls))
	}
}
