package conn

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/credentials"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Tap wraps transport credentials so that every TCP connection they make
// reports its life to sink: open, TLS handshake failure, GOAWAY (with code
// and debug data, which no grpc-go API exposes), keepalive pings and their
// round trip, stream resets from the server, and close with what the read
// side saw. It sits above TLS, after the handshake, so grpc-go still sets
// TCP_USER_TIMEOUT and socket keepalive on the raw socket. conn is the pool
// connection's index, passed through to the events. When lastRead is not
// nil, every read that brings bytes stores its time there (unix
// nanoseconds): whether anything at all came back from the server lately.
func Tap(inner credentials.TransportCredentials, conn int, sink func(event.Event), lastRead *atomic.Int64) credentials.TransportCredentials {
	return TapNumbered(inner, conn, sink, lastRead, new(atomic.Int64))
}

// TapNumbered is Tap numbering transports from the counter transports, which
// several taps of one pool connection may share: each dial of
// --reconnect-every has a tap of its own (its events tell its handshake's
// phases), and the pool connection's transport numbers go on.
func TapNumbered(inner credentials.TransportCredentials, conn int, sink func(event.Event), lastRead, transports *atomic.Int64) credentials.TransportCredentials {
	return &tapCreds{TransportCredentials: inner, conn: conn, sink: sink, lastRead: lastRead, transports: transports}
}

type tapCreds struct {
	credentials.TransportCredentials
	conn       int
	sink       func(event.Event)
	lastRead   *atomic.Int64
	transports *atomic.Int64 // shared by clones: numbers the pool connection's transports
}

func (c *tapCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	start := time.Now()
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	n := int(c.transports.Add(1))
	now := time.Now()
	ev := event.Event{Conn: c.conn, Transport: n, Time: now, Took: now.Sub(start),
		Local: raw.LocalAddr().String(), Remote: raw.RemoteAddr().String()}
	if err != nil {
		ev.Kind, ev.Err = event.EventHandshakeFailed, err.Error()
		c.sink(ev)
		return nil, nil, err
	}
	ev.Kind = event.EventOpen
	c.sink(ev)
	t := &tapConn{Conn: conn, creds: c, transport: n}
	t.lastRead.Store(ev.Time.UnixNano())
	t.lastFrame.Store(ev.Time.UnixNano())
	t.out.skip = len(http2ClientPreface)
	t.in.headers = true
	if tw, ok := conn.(tryWriter); ok {
		return &tryTapConn{tapConn: t, tw: tw}, info, nil
	}
	return t, info, nil
}

func (c *tapCreds) Clone() credentials.TransportCredentials {
	return &tapCreds{TransportCredentials: c.TransportCredentials.Clone(), conn: c.conn, sink: c.sink,
		lastRead: c.lastRead, transports: c.transports}
}

// http2ClientPreface starts every client connection; it is not a frame.
const http2ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// tapConn watches the frames of one transport. grpc-go reads on one
// goroutine and writes on another; each direction has its own scanner.
type tapConn struct {
	net.Conn
	creds     *tapCreds
	transport int
	in, out   frameScanner
	// inNow and outNow are the time of the read or write whose frames the
	// scanner is reporting (unix nanoseconds), one clock read per system
	// call rather than per frame; each is used by one goroutine.
	inNow, outNow int64
	pingSent      atomic.Int64 // unix nanoseconds of the unanswered keepalive ping, 0 for none
	lastRead      atomic.Int64 // unix nanoseconds of the last read that brought bytes (or of the open)
	lastFrame     atomic.Int64 // unix nanoseconds of the last frame other than PING, either direction
	settings      atomic.Bool  // the server's first SETTINGS was reported
	heads         headerWatch  // the read side's header blocks: who answers
	closeOnce     sync.Once
}

// silence is how long the transport has been without a (non-PING) frame at
// now.
func (t *tapConn) silence(now time.Time) time.Duration {
	return max(now.Sub(time.Unix(0, t.lastFrame.Load())), 0)
}

func (t *tapConn) event(e event.Event) {
	e.Conn, e.Transport = t.creds.conn, t.transport
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	t.creds.sink(e)
}

func (t *tapConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if n > 0 {
		now := time.Now().UnixNano()
		t.inNow = now
		t.lastRead.Store(now)
		if t.creds.lastRead != nil {
			t.creds.lastRead.Store(now)
		}
		t.in.feed(p[:n], t.inbound)
	}
	if err != nil {
		t.closed(err.Error())
	}
	return n, err
}

func (t *tapConn) Write(p []byte) (int, error) {
	// Scan before writing: once the bytes are out, the server's answer (a
	// PING ACK) can be read before Write returns, and must find the ping's
	// time already noted. A failed write ends the transport, so scanning
	// bytes that did not go out does no harm.
	t.outNow = time.Now().UnixNano()
	t.out.feed(p, t.outbound)
	n, err := t.Conn.Write(p)
	if err != nil {
		t.closed(err.Error())
	}
	return n, err
}

// tryWriter is a socket that writes without waiting for room (the h2
// engine's raw socket, runner/h2's tryWriter).
type tryWriter interface {
	TryWrite(p []byte) (int, error)
}

// tryTapConn is the tap of a socket that writes without waiting: it
// passes TryWrite on, so that the h2 engine's reader can write its
// replies itself. Those are never keepalive PINGs, whose time Write notes
// before the bytes go out; what TryWrite wrote is scanned after.
type tryTapConn struct {
	*tapConn
	tw tryWriter
}

func (t *tryTapConn) TryWrite(p []byte) (int, error) {
	t.outNow = time.Now().UnixNano()
	n, err := t.tw.TryWrite(p)
	t.out.feed(p[:n], t.outbound)
	if err != nil {
		t.closed(err.Error())
	}
	return n, err
}

func (t *tapConn) Close() error {
	t.closed(event.ClosedByClient)
	return t.Conn.Close()
}

// closed reports the transport's end once, with the first cause seen.
func (t *tapConn) closed(reason string) {
	t.closeOnce.Do(func() {
		now := time.Now()
		e := event.Event{Kind: event.EventClose, Time: now, Err: reason, Silence: t.silence(now), SinceRead: max(now.Sub(time.Unix(0, t.lastRead.Load())), 0)}
		if sent := t.pingSent.Load(); sent != 0 {
			e.Unanswered = now.Sub(time.Unix(0, sent))
		}
		t.event(e)
	})
}

// inbound handles the server's frames.
func (t *tapConn) inbound(f h2frame) {
	if f.typ != framePing {
		defer t.lastFrame.Store(t.inNow)
	}
	switch f.typ {
	case frameGoAway:
		if last, code, debug, ok := goAway(f.payload); ok {
			now := time.Now()
			t.event(event.Event{Kind: event.EventGoAway, Time: now, LastStreamID: last, Code: h2CodeName(code), Debug: debug, Silence: t.silence(now)})
		}
	case frameSettings:
		if f.flags&flagAck == 0 && !t.settings.Swap(true) {
			t.event(event.Event{Kind: event.EventSettings, Settings: settingsText(f.payload)})
		}
	case framePing:
		if f.flags&flagAck != 0 && bytes.Equal(f.payload, keepalivePing[:]) {
			if sent := t.pingSent.Swap(0); sent != 0 {
				t.event(event.Event{Kind: event.EventPingAck, RTT: time.Since(time.Unix(0, sent))})
			}
		}
	case frameHeaders, frameContinuation:
		t.header(f)
	case frameRSTStream:
		if len(f.payload) == 4 {
			code := uint32(f.payload[0])<<24 | uint32(f.payload[1])<<16 | uint32(f.payload[2])<<8 | uint32(f.payload[3])
			t.event(event.Event{Kind: event.EventRSTStream, Code: h2CodeName(code)})
		}
	}
}

// header reads a response header block for who answers: the first server
// header of the transport, and each reply that is not HTTP 200 (a proxy's
// own answer), once per distinct server and status.
func (t *tapConn) header(f h2frame) {
	server, status, ok := t.heads.frame(f.typ, f.flags, f.payload, f.length)
	if t.heads.done {
		t.in.headers = false
	}
	if !ok || (server == "" && (status == "" || status == "200")) {
		return
	}
	if status == "200" {
		status = ""
	}
	key := server + "\x00" + status
	if t.heads.servers[key] || len(t.heads.servers) >= 4 {
		return
	}
	if t.heads.servers == nil {
		t.heads.servers = map[string]bool{}
	}
	t.heads.servers[key] = true
	t.event(event.Event{Kind: event.EventServer, Server: printableHeader(server), HTTPStatus: status})
}

// printableHeader bounds a header value for events and reports.
func printableHeader(v string) string {
	if len(v) > 64 {
		v = v[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, v)
}

// outbound notes the client's keepalive pings, and its other frames as
// activity.
func (t *tapConn) outbound(f h2frame) {
	if f.typ != framePing {
		t.lastFrame.Store(t.outNow)
	}
	if f.typ == framePing && f.flags&flagAck == 0 && bytes.Equal(f.payload, keepalivePing[:]) {
		now := time.Now()
		t.pingSent.Store(now.UnixNano())
		t.event(event.Event{Kind: event.EventPing, Time: now})
	}
}
