package runner

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/stats"
)

// attemptCounter is a stats handler counting call attempts. grpc-go
// allocates an event for every step of every call once any stats handler is
// installed (about a tenth of the calls per second on loopback, measured),
// so a run installs it only when a retry policy makes attempts worth counting.
type attemptCounter struct {
	from        time.Time // attempts before measurement (warm-up) are not counted
	total       atomic.Int64
	transparent atomic.Int64
}

// attemptCounter returns a counter when the run has a retry policy, else nil.
func (r *Runner) attemptCounter() *attemptCounter {
	t := &r.opts.Target
	sc, _ := serviceConfig(t.LBPolicy, &t.Retry) // the file of --service-config @file, read; Validate checked it
	if t.Retry.MaxAttempts == 0 && !strings.Contains(sc, "retryPolicy") {
		return nil
	}
	return &attemptCounter{} // Run sets from when it knows when measurement starts
}

func (a *attemptCounter) result() *Attempts {
	return &Attempts{Total: a.total.Load(), Transparent: a.transparent.Load()}
}

func (a *attemptCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}

func (a *attemptCounter) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if b, ok := s.(*stats.Begin); ok && !b.BeginTime.Before(a.from) && ctx.Value(ownCallKey{}) == nil {
		a.total.Add(1)
		if b.IsTransparentRetryAttempt {
			a.transparent.Add(1)
		}
	}
}

func (a *attemptCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (a *attemptCounter) HandleConn(context.Context, stats.ConnStats) {}
