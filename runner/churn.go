package runner

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// dialTimed dials pool connection i with opts and, once it is READY,
// reports the whole dial to sink as an EventHandshake (the recorder pairs
// it with the TCP connect and TLS handshake reported on the way).
func (r *Runner) dialTimed(ctx context.Context, i int, sink func(event.Event), opts []grpc.DialOption) (*grpc.ClientConn, error) {
	start := time.Now()
	cc, err := r.Dial(ctx, r.opts.Target, opts...)
	if err == nil {
		end := time.Now()
		sink(event.Event{Conn: i, Time: end, Kind: event.EventHandshake, Took: end.Sub(start)})
	}
	return cc, err
}

// churnSlot is one pool connection under --reconnect-every: after every
// Load.ReconnectEvery calls handed out on its connection, that connection
// is retired (closed once its last call ends) and the next call dials a
// new one, with the same dial options (the same tapped credentials, so
// transports keep their numbers within the pool connection). Calls that
// come while it dials wait for it; their latency includes the dial.
type churnSlot struct {
	r     *Runner
	conn  int
	opts  []grpc.DialOption
	sink  *conn.Gate
	ctx   context.Context // the state watchers'
	every int64

	dialing chan struct{} // held while dialing: a lock a cancelled call stops waiting for
	mu      sync.Mutex    // guards cur and the churnConns' counts (never held while dialing)
	cur     *churnConn    // nil: the next call dials
	closers sync.WaitGroup
}

// churnConn is one connection of a churnSlot.
type churnConn struct {
	cc       *grpc.ClientConn
	watch    *conn.StateWatch
	unwatch  context.CancelFunc
	handed   int64 // calls handed out on it
	inflight int
	retired  bool // no more calls go to it; closed when inflight is 0
}

// newChurn makes the churn slots of the pool, taking over its first
// connections; nil unless --reconnect-every is set.
func (r *Runner) newChurn(ctx context.Context, sink *conn.Gate, conns []*grpc.ClientConn, opts [][]grpc.DialOption) []*churnSlot {
	every := r.opts.Load.ReconnectEvery
	if every <= 0 {
		return nil
	}
	slots := make([]*churnSlot, len(conns))
	for i, cc := range conns {
		s := &churnSlot{r: r, conn: i, opts: opts[i], sink: sink, ctx: ctx, every: every, dialing: make(chan struct{}, 1)}
		s.cur = s.watch(cc)
		slots[i] = s
	}
	return slots
}

// watch follows cc's state like the pool's other connections, except that
// its SHUTDOWN is left out: closing it is the run's doing, and its
// successor's EventHandshake tells the recorder the pool connection is up.
func (s *churnSlot) watch(cc *grpc.ClientConn) *churnConn {
	ctx, cancel := context.WithCancel(s.ctx)
	w := conn.WatchState(ctx, s.conn, cc, func(e event.Event) {
		if e.State != connectivity.Shutdown.String() {
			s.sink.Send(e)
		}
	})
	return &churnConn{cc: cc, watch: w, unwatch: cancel}
}

// acquire hands out the connection for one call, dialing a new one when the
// last was retired (or waiting for the dial under way). A failed dial fails
// the call (UNAVAILABLE, or ctx's error); the next call dials again.
func (s *churnSlot) acquire(ctx context.Context) (*churnConn, error) {
	for {
		s.mu.Lock()
		if c := s.cur; c != nil {
			s.take(c)
			s.mu.Unlock()
			return c, nil
		}
		s.mu.Unlock()
		select {
		case s.dialing <- struct{}{}:
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		s.mu.Lock()
		up := s.cur != nil // dialed by the call that held the lock before
		s.mu.Unlock()
		if up {
			<-s.dialing
			continue
		}
		cc, err := s.r.dialTimed(ctx, s.conn, s.sink.Send, s.opts)
		if err != nil {
			<-s.dialing
			if ctx.Err() != nil {
				return nil, status.FromContextError(ctx.Err()).Err()
			}
			return nil, status.Error(codes.Unavailable, "reconnecting: "+err.Error())
		}
		c := s.watch(cc)
		s.mu.Lock()
		s.cur = c
		s.take(c)
		s.mu.Unlock()
		<-s.dialing
		return c, nil
	}
}

// take hands out a call on c, the current connection, retiring c with its
// last call. s.mu is held.
func (s *churnSlot) take(c *churnConn) {
	c.handed++
	c.inflight++
	if c.handed >= s.every {
		c.retired, s.cur = true, nil
		c.unwatch() // what it does from now on is no news of the pool connection
	}
}

// release ends a call on c, closing c (in the background, outside the
// call's time) when it was retired and this was its last call.
func (s *churnSlot) release(c *churnConn) {
	s.mu.Lock()
	c.inflight--
	last := c.retired && c.inflight == 0
	s.mu.Unlock()
	if last {
		s.close(c)
	}
}

func (s *churnSlot) close(c *churnConn) {
	s.closers.Add(1)
	go func() {
		defer s.closers.Done()
		c.cc.Close()
		c.unwatch()
		c.watch.Wait()
	}()
}

// closeChurn closes the slots' connections in use at the end of the run
// and waits for every close and state watcher. The workers have all
// returned.
func closeChurn(slots []*churnSlot) {
	for _, s := range slots {
		if s.cur != nil {
			s.close(s.cur)
			s.cur = nil
		}
		s.closers.Wait()
	}
}

// churnCall makes the call on the connection its slot hands out when the
// pool churns (--reconnect-every), else on the worker's connection.
func (w *worker) churnCall(ctx context.Context, seq int64, frames []*data.Frame, rec WorkerRecorder, s *CallStats) error {
	if w.churn == nil {
		return w.call(ctx, seq, frames, rec, s)
	}
	c, err := w.churn.acquire(ctx)
	if err != nil {
		return err
	}
	defer w.churn.release(c)
	w.cc, w.watch = c.cc, c.watch
	return w.call(ctx, seq, frames, rec, s)
}
