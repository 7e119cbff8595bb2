package conn

import (
	"context"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// StateWatch follows one pool connection's connectivity state.
type StateWatch struct {
	conn  int
	cc    *grpc.ClientConn
	sink  func(event.Event)
	ready atomic.Bool
	done  chan struct{}
}

// WatchState reports cc's state, then every change of it, to sink until
// ctx ends, and keeps Ready current for the call path. A TRANSIENT_FAILURE
// carries the failed attempt's error. conn is the pool connection's index,
// passed through to the events. Call Wait after ctx ends to know the
// watcher has stopped.
func WatchState(ctx context.Context, conn int, cc *grpc.ClientConn, sink func(event.Event)) *StateWatch {
	w := &StateWatch{conn: conn, cc: cc, sink: sink, done: make(chan struct{})}
	state := cc.GetState()
	w.ready.Store(state == connectivity.Ready)
	sink(event.Event{Conn: conn, Time: time.Now(), Kind: event.EventState, State: state.String()}) // where it starts
	go w.loop(ctx, state)
	return w
}

func (w *StateWatch) loop(ctx context.Context, state connectivity.State) {
	defer close(w.done)
	for cc := w.cc; cc.WaitForStateChange(ctx, state); {
		state = cc.GetState()
		w.ready.Store(state == connectivity.Ready)
		e := event.Event{Conn: w.conn, Time: time.Now(), Kind: event.EventState, State: state.String()}
		if state == connectivity.TransientFailure {
			if err := lastError(ctx, cc); err != nil {
				e.Err = status.Convert(err).Message()
				e.Cause = ClassifyMessage(codes.Unavailable, e.Err, false)
			}
		}
		w.sink(e)
	}
}

// Ready reports whether the connection is READY now. Safe for concurrent use.
func (w *StateWatch) Ready() bool { return w.ready.Load() }

// Wait returns once the watcher has stopped (after its ctx ended).
func (w *StateWatch) Wait() { <-w.done }
