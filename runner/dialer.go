package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// poolDialer dials one pool connection, again under --reconnect-every:
// each dial has a tap and a dial watcher of its own, so that its
// handshake's phases come from its own events however many dials of the
// pool connection are under way at once; the transport numbers are the pool
// connection's.
type poolDialer struct {
	conn       int
	creds      credentials.TransportCredentials
	sink       *conn.Gate
	lastRead   *atomic.Int64
	transports *atomic.Int64
	extra      []grpc.DialOption // stats handlers
}

// dialTimed dials d's pool connection and, once it is READY, reports the
// dial to the sink as an EventHandshake: the whole of it (Took) and its
// phases.
func (r *Runner) dialTimed(ctx context.Context, d *poolDialer) (*grpc.ClientConn, error) {
	t := &dialTimes{}
	send := func(e event.Event) {
		if e.Kind == event.EventDial || e.Kind == event.EventOpen {
			t.note(e)
		}
		d.sink.Send(e)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(conn.TapNumbered(d.creds, d.conn, send, d.lastRead, d.transports))}
	if w := conn.WatchDials(d.conn, send); w != nil {
		opts = append(opts, w)
	}
	opts = append(opts, d.extra...)
	start := time.Now()
	cc, err := r.Dial(ctx, r.opts.Target, opts...)
	if err == nil {
		d.sink.Send(t.handshake(d.conn, start, time.Now()))
	}
	return cc, err
}

// dialTimes is what one dial's events said of its phases, the latest
// attempt's (a dial may try several addresses or again after a failure).
type dialTimes struct {
	mu      sync.Mutex
	connect time.Duration // the last successful TCP connect
	tls     time.Duration // the last transport's TLS handshake
	openAt  time.Time     // when that transport was up
}

func (t *dialTimes) note(e event.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case e.Kind == event.EventDial && e.Err == "":
		t.connect = e.Took
	case e.Kind == event.EventOpen:
		t.tls, t.openAt = e.Took, e.Time
	}
}

// handshake is the EventHandshake of the dial of pool connection i from
// start, READY at end.
func (t *dialTimes) handshake(i int, start, end time.Time) event.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := event.Event{Conn: i, Time: end, Kind: event.EventHandshake, Took: end.Sub(start), Connect: t.connect}
	if !t.openAt.IsZero() {
		e.TLS, e.HTTP2 = t.tls, max(end.Sub(t.openAt), 0)
	}
	return e
}
