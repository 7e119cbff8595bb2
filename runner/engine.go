package runner

import (
	"context"
	"net"
	"slices"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// The engine is the client that speaks gRPC for a run: grpc-go
// (plan.EngineGRPC) or the lean HTTP/2 engine of package runner/h2
// (plan.EngineH2). Run opens the pool with openPool and the workers call
// through each pool connection's callers; nothing else in the runner knows
// which engine runs. Both report the same connection events to the same
// sink (the transport tap of runner/conn sees the wire of either), so the
// recorder, the timeline and the diagnosis work unchanged.

// poolConn is one pool connection of an engine.
type poolConn interface {
	// caller returns a handle for the calls of one worker: used by the
	// worker's goroutine, and by a bidi stream's sender while the worker
	// receives.
	caller() caller
	// watch reports the connection's connectivity state, then every change
	// of it, to sink until ctx ends (conn.WatchState's contract).
	watch(ctx context.Context, i int, sink func(event.Event)) stateWatch
	close()
}

// stateWatch is a pool connection's connectivity as the call path sees it.
type stateWatch interface {
	// Ready reports whether the connection is READY now; safe for
	// concurrent use.
	Ready() bool
	// Wait returns once the watch has stopped (after its ctx ended).
	Wait()
}

// caller makes one worker's calls on a pool connection.
type caller interface {
	// unary makes a unary call of m with the request req.
	unary(ctx context.Context, m callMethod, req *data.Frame) error
	// stream starts a streaming call of m.
	stream(ctx context.Context, desc *grpc.StreamDesc, m callMethod) (clientStream, error)
	// peer is the remote address of the last call, when known.
	peer() net.Addr
	// use makes the next calls on pc, another connection of the same
	// engine (--reconnect-every hands each call its connection).
	use(pc poolConn)
}

// redial dials a new connection in the place of one of the pool's, for
// --reconnect-every; it reports the dial's events and handshake as the
// pool's first dial of it did.
type redial func(ctx context.Context) (poolConn, error)

// callMethod is what a call is made to. ctx also carries the metadata (for
// grpc-go); the h2 engine pre-encodes md per method and sends tmd per call.
type callMethod struct {
	path string
	md   metadata.MD // every call's metadata: the run's (joined with a mix entry's)
	tmd  metadata.MD // this call's templated metadata, which stands for md; nil for none
}

// clientStream is one streaming call. grpc.ClientStream is one (the
// messages sent are *data.Frame; those received are read into discard).
// SendMsg and CloseSend may run on one goroutine while RecvMsg runs on
// another. release ends the call if it is still open and gives back what
// it holds; the stream is not used after it.
type clientStream interface {
	SendMsg(m any) error
	CloseSend() error
	RecvMsg(m any) error
	release()
}

// method is the worker's current call target.
func (w *worker) method() callMethod { return callMethod{path: w.path, md: w.md, tmd: w.tmd} }

// openPool dials the pool's connections with the run's engine, and
// returns how to dial each again, for --reconnect-every.
func (r *Runner) openPool(ctx context.Context, sink *conn.Gate, attempts *conn.AttemptCounter, lastRead []atomic.Int64) ([]poolConn, []redial, error) {
	if r.opts.Target.EngineName() == plan.EngineH2 {
		return r.dialH2Pool(ctx, sink, lastRead)
	}
	ccs, dialers, err := r.dialPool(ctx, sink, attempts, lastRead)
	if err != nil {
		return nil, nil, err
	}
	pool := make([]poolConn, len(ccs))
	redials := make([]redial, len(ccs))
	for i, cc := range ccs {
		pool[i] = grpcConn{cc: cc, compress: r.opts.Call.Compress}
		redials[i] = func(ctx context.Context) (poolConn, error) {
			cc, err := r.dialTimed(ctx, dialers[i])
			if err != nil {
				return nil, err
			}
			return grpcConn{cc: cc, compress: r.opts.Call.Compress}, nil
		}
	}
	return pool, redials, nil
}

// grpcConn is a pool connection of grpc-go; compress names the codec of
// its calls ("" for none).
type grpcConn struct {
	cc       *grpc.ClientConn
	compress string
}

func (g grpcConn) caller() caller {
	c := &grpcCaller{cc: g.cc}
	c.sopts = []grpc.CallOption{grpc.ForceCodecV2(rawCodec{})}
	if g.compress != "" {
		c.sopts = append(c.sopts, grpc.UseCompressor(g.compress))
	}
	c.opts = append(slices.Clip(c.sopts), grpc.Peer(&c.p))
	c.s.last = &c.last
	return c
}

func (g grpcConn) watch(ctx context.Context, i int, sink func(event.Event)) stateWatch {
	return conn.WatchState(ctx, i, g.cc, sink)
}

func (g grpcConn) close() { g.cc.Close() }

// grpcCaller calls through grpc-go; the metadata is in the call's context.
// Unary calls take their peer with grpc.Peer, which Invoke fills in before
// it returns. Streams do not (sopts): when a context ends a stream,
// grpc-go fills it in on a goroutine of its own, maybe after the worker
// read it (a data race, and calls without a backend); release reads the
// stream's peer from its context instead.
type grpcCaller struct {
	cc    *grpc.ClientConn
	p     peer.Peer
	opts  []grpc.CallOption // unary calls'
	sopts []grpc.CallOption // streams'
	s     grpcStream        // the worker's stream (one at a time): no allocation per stream
	last  net.Addr          // the last call's peer
}

func (c *grpcCaller) unary(ctx context.Context, m callMethod, req *data.Frame) error {
	err := c.cc.Invoke(ctx, m.path, req, &discard{}, c.opts...)
	c.last = c.p.Addr
	return err
}

func (c *grpcCaller) stream(ctx context.Context, desc *grpc.StreamDesc, m callMethod) (clientStream, error) {
	s, err := c.cc.NewStream(ctx, desc, m.path, c.sopts...)
	if err != nil {
		return nil, err
	}
	c.s.ClientStream = s
	return &c.s, nil
}

func (c *grpcCaller) peer() net.Addr { return c.last }

func (c *grpcCaller) use(pc poolConn) { c.cc = pc.(grpcConn).cc }

// grpcStream is a grpc-go stream; cancelling its context ends it. last
// is its caller's.
type grpcStream struct {
	grpc.ClientStream
	last *net.Addr
}

// release notes the stream's peer, once the call is over: Context commits
// the stream's attempt, so that no retry remains to be made.
func (s *grpcStream) release() {
	*s.last = nil
	if p, ok := peer.FromContext(s.ClientStream.Context()); ok {
		*s.last = p.Addr
	}
	s.ClientStream = nil
}
