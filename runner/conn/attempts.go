package conn

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/stats"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Attempts counts call attempts when a retry policy is in force (counting
// them costs a stats handler on every call, so it is only on then).
type Attempts struct {
	// Total is every attempt of recorded calls, first attempts included.
	Total int64 `json:"total"`
	// Transparent counts the retries grpc-go made by itself, for streams
	// refused before the server saw them (GOAWAY races, REFUSED_STREAM).
	Transparent int64 `json:"transparent"`
}

// AttemptCounter is a grpc-go stats handler (install it with
// grpc.WithStatsHandler) counting call attempts, retries included. grpc-go
// allocates an event for every step of every call once any stats handler is
// installed (about a tenth of the calls per second on loopback, measured),
// so NewAttemptCounter returns one only when a retry policy makes attempts
// worth counting. Its handler methods are safe for concurrent use.
type AttemptCounter struct {
	// From is when counting starts: attempts begun earlier (warm-up) are
	// left out. Set it before the first call through the connection.
	From        time.Time
	total       atomic.Int64
	transparent atomic.Int64
}

// NewAttemptCounter returns a counter when t has a retry policy (flags or
// service config), else nil.
func NewAttemptCounter(t *plan.Target) *AttemptCounter {
	sc, _ := serviceConfig(context.Background(), t) // CheckTarget checked it, and read its @file
	if t.Retry.MaxAttempts == 0 && !strings.Contains(sc, "retryPolicy") {
		return nil
	}
	return &AttemptCounter{}
}

// Result is what the counter has counted so far.
func (a *AttemptCounter) Result() *Attempts {
	return &Attempts{Total: a.total.Load(), Transparent: a.transparent.Load()}
}

// TagRPC implements stats.Handler.
func (a *AttemptCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}

// HandleRPC implements stats.Handler: it counts each attempt's Begin, but
// not the calls Dial and the state watcher make for themselves.
func (a *AttemptCounter) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if b, ok := s.(*stats.Begin); ok && !b.BeginTime.Before(a.From) && ctx.Value(ownCallKey{}) == nil {
		a.total.Add(1)
		if b.IsTransparentRetryAttempt {
			a.transparent.Add(1)
		}
	}
}

// TagConn implements stats.Handler.
func (a *AttemptCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn implements stats.Handler.
func (a *AttemptCounter) HandleConn(context.Context, stats.ConnStats) {}
