package runner

import (
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/internal/faultproxy"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Without keepalive, a blackhole shows only as missed deadlines while the
// connection stays READY: the run marks such failures.
func TestRunBlackholeWithoutKeepalive(t *testing.T) {
	t.Parallel()
	var proxy atomic.Pointer[faultproxy.Proxy]
	srv := testserver.Start(t, testserver.AfterCalls(20, func(*testserver.Server) { proxy.Load().SetMode(faultproxy.Blackhole) }))
	p := faultproxy.Start(t, srv.Addr())
	proxy.Store(p)
	rec, _ := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
		o.Target.Addr = p.Addr()
		o.Load.Duration = 500 * time.Millisecond
		o.Load.Concurrency = 2
		o.Call.Timeout = 100 * time.Millisecond
	})
	var ready, failed int
	for _, c := range rec.calls {
		if c.Code == codes.DeadlineExceeded {
			failed++
			if c.Ready {
				ready++
			}
		}
	}
	// A call that started before the blackhole may still have seen bytes
	// (another call's answer) arrive after it began: at most one per worker.
	if failed == 0 || ready < failed-2 {
		t.Errorf("%d deadline failures, %d of them on a silent READY connection; want all but those straddling the blackhole's start", failed, ready)
	}
}
