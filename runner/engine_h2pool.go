package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/h2"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// h2Pooled is one pool connection of the h2 engine: one HTTP/2 connection
// at a time, replaced when the server sends GOAWAY or the connection is
// lost, with grpc-go's connect backoff (--backoff-*) between failed
// attempts. Its states are grpc-go's: READY, IDLE once the connection is
// gone, until a call wants one (grpc-go's pick_first reconnects when its
// picker is used, not before), CONNECTING, and TRANSIENT_FAILURE while
// waiting out the backoff, when calls fail at once with the attempt's
// error (no wait-for-ready).
// Calls a GOAWAY left unprocessed are retried on the new connection, as
// grpc-go retries them transparently.
type h2Pooled struct {
	eng      *h2Engine
	i        int
	sink     func(event.Event)
	tap      credentials.TransportCredentials // numbers the pool connection's transports
	lastRead *atomic.Int64
	times    atomic.Pointer[dialTimes] // the dial under way's phases (one dial at a time)

	cur  atomic.Pointer[h2Live] // nil unless READY
	kick chan struct{}          // a call found the connection draining or lost
	want chan struct{}          // a call waits for a connection while IDLE
	stop chan struct{}
	done chan struct{} // the maintainer has exited

	mu       sync.Mutex
	state    connectivity.State
	failure  error         // the failed attempt's status error, in TRANSIENT_FAILURE
	changed  chan struct{} // closed at each state change
	old      []*h2Live     // connections replaced while draining, closed at the end
	watching bool
	ready    atomic.Bool
}

// h2Live is one HTTP/2 connection of a pool connection.
type h2Live struct {
	c      *h2.Conn
	remote net.Addr
	goAway chan struct{} // the server sent GOAWAY
}

var _ stateWatch = (*h2Watch)(nil)

// open makes pool connection i and its first connection; transports
// numbers the pool connection's transports (its tap's).
func (e *h2Engine) open(ctx context.Context, i int, sink func(event.Event), lastRead, transports *atomic.Int64) (*h2Pooled, error) {
	p := &h2Pooled{eng: e, i: i, lastRead: lastRead,
		kick: make(chan struct{}, 1), want: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		state: connectivity.Connecting, changed: make(chan struct{})}
	p.sink = func(ev event.Event) {
		if t := p.times.Load(); t != nil && (ev.Kind == event.EventDial || ev.Kind == event.EventOpen) {
			t.note(ev) // the dial's phases, for its EventHandshake as grpc-go's dials give
		}
		sink(ev)
	}
	p.tap = conn.TapNumbered(e.creds, i, p.sink, lastRead, transports)
	timeout := e.t.ConnectTimeout
	if timeout <= 0 {
		timeout = 365 * 24 * time.Hour // no limit
	}
	live, err := p.dial(ctx, timeout, true)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, conn.DialFailure(ctx, e.t, err, errors.Is(err, context.DeadlineExceeded) || isTimeout(err))
	}
	p.setLive(live)
	go p.maintain(live)
	return p, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// dial opens one HTTP/2 connection within timeout: TCP as grpc-go's
// dialer makes it (conn.DialTCP, an EventDial), then the handshake of the
// credentials through the tap (TLS with ALPN h2, or none for h2c), which
// reports the transport's life as for grpc-go. handshake reports the
// EventHandshake of a dial the runner made (the pool connection's first,
// or --reconnect-every's); the maintainer's redials after a loss report
// none, as grpc-go's own reconnects, so that the report counts them as
// reconnects after an outage, not as the run's doing.
func (p *h2Pooled) dial(ctx context.Context, timeout time.Duration, handshake bool) (*h2Live, error) {
	e := p.eng
	live := &h2Live{goAway: make(chan struct{}, 1)}
	authority := e.t.Authority
	if authority == "" {
		authority = e.t.Addr
	}
	cfg := h2.Config{
		Addr: e.t.Addr, Authority: authority, UserAgent: e.mcfg.UserAgent, ConnectTimeout: timeout,
		Keepalive: h2.Keepalive{Time: keepaliveTime(e.t.Keepalive.Time), Timeout: e.t.Keepalive.Timeout,
			PermitWithoutStream: e.t.Keepalive.PermitWithoutStream},
		MaxRecvMsgSize: e.t.MaxMsgSize,
		Compression:    e.mcfg.Compression,
		Events: func(ev h2.Event) {
			if ev.Kind == h2.EventGoAway {
				wakeup(live.goAway)
			}
		},
		Dialer: func(ctx context.Context, addr string) (net.Conn, error) {
			raw, err := conn.DialTCP(ctx, p.i, addr, p.sink)
			if err != nil {
				return nil, fmt.Errorf("transport: Error while dialing: %w", err)
			}
			// The tap (and TLS) read and write through the socket's raw
			// system calls (h2.RawConn).
			nc, _, err := p.tap.ClientHandshake(ctx, authority, h2.RawConn(raw))
			if err != nil {
				raw.Close()
				// grpc-go's words, which conn's classification reads.
				return nil, fmt.Errorf("transport: authentication handshake failed: %w", err)
			}
			live.remote = raw.RemoteAddr()
			return nc, nil
		},
	}
	t := &dialTimes{}
	p.times.Store(t)
	start := time.Now()
	c, err := h2.Dial(ctx, cfg)
	if err != nil {
		return nil, dialError{err}
	}
	if handshake {
		p.sink(t.handshake(p.i, start, time.Now()))
	}
	live.c = c
	return live, nil
}

// dialError is a failed dial in grpc-go's words, which runner/conn's
// classification reads: "transport: Error while dialing: ..." (TCP),
// "transport: authentication handshake failed: ..." (TLS), "error
// reading server preface: ..." (the HTTP/2 handshake).
type dialError struct{ err error }

func (e dialError) Error() string {
	msg := e.err.Error()
	if i := strings.Index(msg, "transport: "); i >= 0 {
		return msg[i:]
	}
	return "error reading server preface: " + msg
}

func (e dialError) Unwrap() error { return e.err }

func closed(live *h2Live) bool {
	select {
	case <-live.c.Done():
		return true
	default:
		return false
	}
}

// h2KeepaliveFloor is the least keepalive interval, grpc-go's
// (plan.MinKeepaliveTime), so that both engines ping alike and the
// report's effective interval holds for either. Tests that provoke
// keepalive enforcement lower it, as they lower grpc-go's, by linkname.
var h2KeepaliveFloor = plan.MinKeepaliveTime

// keepaliveTime is the interval the engine pings at for --keepalive-time
// d; 0 (off) stays 0.
func keepaliveTime(d time.Duration) time.Duration {
	if d == 0 {
		return 0
	}
	return max(d, h2KeepaliveFloor)
}

func wakeup(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// setLive makes live the connection new calls go to: READY.
func (p *h2Pooled) setLive(live *h2Live) {
	p.cur.Store(live)
	p.setState(connectivity.Ready, nil)
}

// setState moves to state (failure: the attempt's error, in
// TRANSIENT_FAILURE) and reports it while watched.
func (p *h2Pooled) setState(state connectivity.State, failure error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	same := p.state == state
	p.state, p.failure = state, nil
	if failure != nil {
		p.failure = status.Error(codes.Unavailable, "connection error: desc = \""+failure.Error()+"\"")
	}
	if same {
		return // no change to report: a later attempt's failure replaces the last one's
	}
	select {
	case <-p.want: // a call's request made in the state now left is spent
	default:
	}
	p.ready.Store(state == connectivity.Ready)
	close(p.changed)
	p.changed = make(chan struct{})
	if p.watching {
		p.sink(p.stateEvent())
	}
}

// stateEvent is the current state as an event (mu held).
func (p *h2Pooled) stateEvent() event.Event {
	e := event.Event{Conn: p.i, Time: time.Now(), Kind: event.EventState, State: p.state.String()}
	if p.failure != nil {
		e.Err = status.Convert(p.failure).Message()
		e.Cause = conn.ClassifyMessage(codes.Unavailable, e.Err, false)
	}
	return e
}

// conn returns the connection for a call: the live one, or the next once
// it is up; in TRANSIENT_FAILURE the failed attempt's error at once.
func (p *h2Pooled) conn(ctx context.Context) (*h2Live, error) {
	for {
		if live := p.cur.Load(); live != nil {
			return live, nil
		}
		p.mu.Lock()
		state, failure, changed := p.state, p.failure, p.changed
		if state == connectivity.Idle {
			// Under mu, only while IDLE: setState empties want as the
			// pool leaves IDLE, so no signal outlives the redial it asked
			// for (a leftover one would redial the next loss at once).
			wakeup(p.want)
		}
		p.mu.Unlock()
		switch state {
		case connectivity.TransientFailure:
			return nil, failure
		case connectivity.Shutdown:
			return nil, status.Error(codes.Canceled, "grpc: the client connection is closing")
		case connectivity.Ready:
			runtime.Gosched() // the live connection is being set or retired
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
}

// lost takes live, which a call found draining or closed, out of use at
// once (the calls after it wait for the next connection) and wakes the
// maintainer.
func (p *h2Pooled) lost(live *h2Live) {
	p.retire(live)
	wakeup(p.kick)
}

// retire takes live out of use, if it still is: IDLE until the next
// connection is up. It may still be finishing calls: close closes it.
func (p *h2Pooled) retire(live *h2Live) {
	if !p.cur.CompareAndSwap(live, nil) {
		return
	}
	p.mu.Lock()
	p.old = append(slices.DeleteFunc(p.old, closed), live)
	p.mu.Unlock()
	p.setState(connectivity.Idle, nil)
}

// maintain replaces the connection live once it is gone or draining, when
// a call wants a connection, until close.
func (p *h2Pooled) maintain(live *h2Live) {
	defer close(p.done)
	for {
		select {
		case <-live.c.Done():
		case <-live.goAway:
		case <-p.kick:
			if p.cur.Load() == live && !live.c.Draining() {
				continue // a stale kick, of an earlier connection
			}
		case <-p.stop:
			return
		}
		p.retire(live)
		select {
		case <-p.want:
		case <-p.stop:
			return
		}
		if live = p.reconnect(); live == nil {
			return
		}
	}
}

// reconnect dials until a connection is up (it returns it) or close (nil),
// waiting out grpc-go's backoff between failed attempts: each attempt
// gets at least MinConnectTimeout, and the next starts the backoff after
// the last one failed (grpc-go's addrConn starts its timer then). Once an
// attempt failed the pool connection stays in TRANSIENT_FAILURE through
// the next attempts until one succeeds (grpc-go's pick_first: sticky
// TRANSIENT_FAILURE, gRFC A62), so a report counts one failure per outage
// with either engine.
func (p *h2Pooled) reconnect() *h2Live {
	b := p.eng.t.Backoff.WithDefaults()
	for retries := 0; ; retries++ {
		if retries == 0 {
			p.setState(connectivity.Connecting, nil)
		}
		wait := backoffDelay(b.Base, b.Max, b.Multiplier, b.Jitter, retries)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-p.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		live, err := p.dial(ctx, max(b.MinConnectTimeout, wait), false)
		cancel()
		if err == nil {
			p.setLive(live)
			return live
		}
		p.setState(connectivity.TransientFailure, err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-p.stop:
			t.Stop()
			return nil
		}
	}
}

// backoffDelay is grpc-go's exponential backoff (backoff.Exponential): the
// base for the first retry, exactly; then the base times multiplier per
// retry up to max, spread by ±jitter.
func backoffDelay(base, maxDelay time.Duration, multiplier, jitter float64, retries int) time.Duration {
	if retries == 0 {
		return base
	}
	d := float64(base)
	for ; d < float64(maxDelay) && retries > 0; retries-- {
		d *= multiplier
	}
	d = min(d, float64(maxDelay))
	d *= 1 + jitter*(rand.Float64()*2-1)
	return max(time.Duration(d), 0)
}

func (p *h2Pooled) caller() caller { return &h2Caller{p: p} }

// watch reports the state now and its changes until ctx ends.
func (p *h2Pooled) watch(ctx context.Context, i int, sink func(event.Event)) stateWatch {
	w := &h2Watch{p: p, done: make(chan struct{})}
	p.mu.Lock()
	p.watching = true
	p.sink(p.stateEvent())
	p.mu.Unlock()
	go func() {
		defer close(w.done)
		select {
		case <-ctx.Done():
		case <-p.done:
		}
		p.mu.Lock()
		p.watching = false
		p.mu.Unlock()
	}()
	return w
}

type h2Watch struct {
	p    *h2Pooled
	done chan struct{}
}

func (w *h2Watch) Ready() bool { return w.p.ready.Load() }
func (w *h2Watch) Wait()       { <-w.done }

// close stops the maintainer and closes every connection.
func (p *h2Pooled) close() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	p.state = connectivity.Shutdown
	p.ready.Store(false)
	close(p.changed)
	p.changed = make(chan struct{})
	all := p.old
	p.old = nil
	p.mu.Unlock()
	if live := p.cur.Swap(nil); live != nil {
		all = append(all, live)
	}
	for _, live := range all {
		live.c.Close()
	}
}
