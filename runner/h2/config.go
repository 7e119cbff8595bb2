package h2

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"golang.org/x/net/http2"
)

// Config describes one connection. The zero value of every field but Addr
// has a usable default.
type Config struct {
	// Addr is the host:port to connect to.
	Addr string
	// TLS, when set, makes the connection TLS; ALPN "h2" is required (it is
	// added to NextProtos). Nil means cleartext HTTP/2 with prior knowledge
	// (h2c), as grpc-go's insecure credentials speak it.
	TLS *tls.Config
	// Authority is the :authority of every request; "" means Addr.
	Authority string
	// UserAgent is the user-agent of every request; "" means "grpcpulse-h2".
	UserAgent string
	// ConnectTimeout bounds the TCP and TLS handshakes and the wait for the
	// server's SETTINGS; 0 means 20s.
	ConnectTimeout time.Duration
	// Keepalive configures client pings; a zero Time sends none.
	Keepalive Keepalive
	// Events, when set, receives the connection's events. It is called from
	// the connection's reader and writer goroutines and from Dial, some
	// with the connection's lock held: it must be safe for concurrent use,
	// quick, and must not call the Conn's methods.
	Events func(Event)
	// InitialWindowSize is the receive window of each stream, in bytes;
	// 0 means 1 MiB.
	InitialWindowSize uint32
	// ConnWindowSize is the receive window of the connection, in bytes;
	// 0 means 16 MiB.
	ConnWindowSize uint32
	// MaxRecvMsgSize bounds one response message, in bytes; 0 means 4 MiB,
	// grpc-go's default. A longer message fails its call with
	// RESOURCE_EXHAUSTED.
	MaxRecvMsgSize int
	// MaxHeaderListSize bounds a response header or trailer list
	// (uncompressed, as HTTP/2 counts it); 0 means 256 KiB.
	MaxHeaderListSize uint32
	// Compression, when set (Gzip is the one there is), is the request
	// messages' encoding: requests say grpc-encoding and
	// grpc-accept-encoding, their messages are the caller's, compressed
	// (CompressGzip), and responses compressed with it are decompressed,
	// within MaxRecvMsgSize. "" sends requests as they are and fails a
	// compressed response (UNIMPLEMENTED: no decompressor).
	Compression string
	// Dialer, when set, opens the TCP connection instead of a net.Dialer.
	Dialer func(ctx context.Context, addr string) (net.Conn, error)
}

// Keepalive is the client's ping policy, with grpc-go's meaning.
type Keepalive struct {
	// Time is how long the connection may go without reading a frame
	// before a PING is sent; 0 disables keepalive.
	Time time.Duration
	// Timeout is how long a PING may go unanswered before the connection is
	// closed; 0 means 20s.
	Timeout time.Duration
	// PermitWithoutStream sends pings even when no call is open.
	PermitWithoutStream bool
}

func (c *Config) defaults() {
	if c.Authority == "" {
		c.Authority = c.Addr
	}
	if c.UserAgent == "" {
		c.UserAgent = "grpcpulse-h2"
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 20 * time.Second
	}
	if c.Keepalive.Time > 0 && c.Keepalive.Timeout <= 0 {
		c.Keepalive.Timeout = 20 * time.Second
	}
	if c.InitialWindowSize == 0 {
		c.InitialWindowSize = 1 << 20
	}
	c.InitialWindowSize = min(c.InitialWindowSize, maxWindow)
	if c.ConnWindowSize == 0 {
		c.ConnWindowSize = 16 << 20
	}
	c.ConnWindowSize = max(min(c.ConnWindowSize, maxWindow), initialWindow)
	if c.MaxRecvMsgSize <= 0 {
		c.MaxRecvMsgSize = 4 << 20
	}
	if c.MaxHeaderListSize == 0 {
		c.MaxHeaderListSize = 256 << 10
	}
}

const (
	maxWindow     = 1<<31 - 1
	initialWindow = 65535
	// maxFrameSize is the largest DATA frame the server may send us; the
	// HTTP/2 default, which grpc-go's server never exceeds anyway.
	maxFrameSize = 16384
)

// EventKind is what happened on a connection.
type EventKind uint8

// The connection events. Each has Time; the fields named beside it are set.
const (
	// EventOpen: the handshakes are done (Local, Remote).
	EventOpen EventKind = iota + 1
	// EventSettings: the server sent SETTINGS (Settings).
	EventSettings
	// EventGoAway: the server sent GOAWAY (Code, Debug, LastStreamID).
	EventGoAway
	// EventPing: the client sent a keepalive PING.
	EventPing
	// EventPingAck: the server answered a keepalive PING (RTT).
	EventPingAck
	// EventRSTStream: the server reset a stream (Code, StreamID).
	EventRSTStream
	// EventClose: the connection closed (Err: why; ErrClosed when Close
	// closed it).
	EventClose
)

var kindNames = [...]string{"", "open", "settings", "goaway", "ping", "ping_ack", "rst_stream", "close"}

func (k EventKind) String() string {
	if int(k) < len(kindNames) && k > 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Event is one connection event, delivered to Config.Events.
type Event struct {
	Kind          EventKind
	Time          time.Time
	Local, Remote string
	Settings      []http2.Setting
	Code          http2.ErrCode
	Debug         string
	LastStreamID  uint32
	StreamID      uint32
	RTT           time.Duration
	Err           error
}
