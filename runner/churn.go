package runner

import (
	"context"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// churnSlot is one pool connection under --reconnect-every: each of its
// connections takes Load.ReconnectEvery calls, then is retired (closed once
// its last call ends). A call that finds no connection with a call left
// waits for one being dialed that has a call left for it, or starts a new
// dial (so with --reconnect-every 1 every call dials its own, at once); its
// latency includes the wait. Dials go through the pool connection's
// redial, of either engine: a connection is a poolConn, which reports its
// own handshake as the pool's first ones do.
type churnSlot struct {
	conn     int
	redial   redial
	sink     *conn.Gate
	watchCtx context.Context // the state watchers'
	dialCtx  context.Context // the dials': ends when the run cuts its calls short
	every    int64

	mu      sync.Mutex
	cur     *churnConn     // the connection with calls left; nil: none
	pending *churnDial     // the latest dial under way; nil: none
	bg      sync.WaitGroup // dials and closes under way
}

// churnConn is one connection of a churnSlot. Its counts are guarded by
// the slot's mu.
type churnConn struct {
	pc       poolConn
	watch    stateWatch
	unwatch  context.CancelFunc
	handed   int64 // calls handed out on it
	inflight int64
	retired  bool // no more calls go to it; closed when inflight is 0
}

// churnDial is a dial under way and the calls waiting for it. Its fields
// are guarded by the slot's mu; c and err are set before done is closed.
type churnDial struct {
	done     chan struct{}
	reserved int64 // calls waiting for it (at most every)
	gaveUp   int64 // of those, calls that stopped waiting (their ctx ended)
	c        *churnConn
	err      error
}

// newChurn makes the churn slots of the pool, taking over its first
// connections (the slots close them); nil unless --reconnect-every is set.
// watchCtx ends the state watchers, dialCtx the dials.
func (r *Runner) newChurn(watchCtx, dialCtx context.Context, sink *conn.Gate, conns []poolConn, redials []redial) []*churnSlot {
	every := r.opts.Load.ReconnectEvery
	if every <= 0 {
		return nil
	}
	slots := make([]*churnSlot, len(conns))
	for i, pc := range conns {
		s := &churnSlot{conn: i, redial: redials[i], sink: sink, watchCtx: watchCtx, dialCtx: dialCtx, every: every}
		s.cur = s.watch(pc)
		slots[i] = s
	}
	return slots
}

// watch follows pc's state like the pool's other connections, except that
// its SHUTDOWN is left out: closing it is the run's doing, and its
// successor's EventHandshake tells the recorder the pool connection is up.
func (s *churnSlot) watch(pc poolConn) *churnConn {
	ctx, cancel := context.WithCancel(s.watchCtx)
	w := pc.watch(ctx, s.conn, func(e event.Event) {
		if e.State != connectivity.Shutdown.String() {
			s.sink.Send(e)
		}
	})
	return &churnConn{pc: pc, watch: w, unwatch: cancel}
}

// acquire hands out a connection for one call: the current one, or one
// being dialed with a call left, or a new dial. A failed dial fails the
// calls waiting for it (UNAVAILABLE); the next calls dial again. A call
// whose ctx ends while it waits fails with ctx's error.
func (s *churnSlot) acquire(ctx context.Context) (*churnConn, error) {
	s.mu.Lock()
	if c := s.cur; c != nil {
		s.take(c)
		s.mu.Unlock()
		return c, nil
	}
	p := s.pending
	if p == nil || p.reserved >= s.every {
		p = &churnDial{done: make(chan struct{})}
		s.pending = p
		s.bg.Add(1)
		go s.dial(p)
	}
	p.reserved++
	s.mu.Unlock()
	select {
	case <-p.done:
		return p.c, p.err
	case <-ctx.Done():
	}
	s.mu.Lock()
	select {
	case <-p.done:
		s.mu.Unlock()
		if p.c != nil {
			s.release(p.c) // the call it held is not made
		}
	default:
		p.gaveUp++
		s.mu.Unlock()
	}
	return nil, status.FromContextError(ctx.Err()).Err()
}

// dial makes p's connection and hands it to the calls waiting for it;
// with calls left, it becomes the slot's current connection.
func (s *churnSlot) dial(p *churnDial) {
	defer s.bg.Done()
	pc, err := s.redial(s.dialCtx)
	var c *churnConn
	if err == nil {
		c = s.watch(pc)
	}
	s.mu.Lock()
	if s.pending == p {
		s.pending = nil
	}
	if err != nil {
		p.err = status.Error(codes.Unavailable, "reconnecting: "+err.Error())
		close(p.done)
		s.mu.Unlock()
		return
	}
	c.handed, c.inflight = p.reserved, p.reserved-p.gaveUp
	if c.handed >= s.every {
		c.retired = true
		c.unwatch()
	} else {
		s.cur = c // no other has calls left: calls came to this dial meanwhile
	}
	p.c = c
	close(p.done)
	unused := c.retired && c.inflight == 0
	s.mu.Unlock()
	if unused {
		s.close(c)
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
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		c.pc.close()
		c.unwatch()
		c.watch.Wait()
	}()
}

// closeChurn closes the slots' connections at the end of the run, once the
// workers have returned and the dials were cut short, and waits for every
// dial, close and state watcher.
func closeChurn(slots []*churnSlot) {
	for _, s := range slots {
		s.bg.Wait() // the dials under way end, and hand their connections over
		s.mu.Lock()
		c := s.cur
		s.cur = nil
		s.mu.Unlock()
		if c != nil {
			s.close(c)
		}
		s.bg.Wait()
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
	w.calls.use(c.pc)
	w.watch = c.watch
	return w.call(ctx, seq, frames, rec, s)
}
