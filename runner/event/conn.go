package event

import "time"

// EventKind is what happened to a pooled connection.
type EventKind string

// The connection events a run records.
const (
	// EventState: the pool connection's connectivity state changed (State;
	// Err says why a connection attempt failed, for TRANSIENT_FAILURE).
	EventState EventKind = "state"
	// EventOpen: a transport (one TCP connection) finished its TCP and TLS
	// handshakes (Local, Remote).
	EventOpen EventKind = "open"
	// EventHandshakeFailed: the TLS handshake of a new transport failed (Err).
	EventHandshakeFailed EventKind = "handshake_failed"
	// EventGoAway: the server sent GOAWAY (Code, Debug, LastStreamID).
	EventGoAway EventKind = "goaway"
	// EventPing: the client sent a keepalive ping (bandwidth-probe pings are
	// not events).
	EventPing EventKind = "ping"
	// EventPingAck: the server answered a keepalive ping (RTT).
	EventPingAck EventKind = "ping_ack"
	// EventRSTStream: the server reset a stream (Code).
	EventRSTStream EventKind = "rst_stream"
	// EventClose: a transport closed. Err is what the read side saw (EOF,
	// connection reset by peer, connection timed out) or "closed by the
	// client" when grpc-go closed it itself (after a GOAWAY drain, a
	// keepalive timeout, or at the end of the run). Unanswered is how long
	// a keepalive ping had gone unanswered at the close (0: none was
	// pending): a client close with a long unanswered ping is a keepalive
	// timeout.
	EventClose EventKind = "close"
	// EventDial: one TCP connection attempt ended (Took, Remote; Err when
	// it failed: refused, timed out...). Reported by WatchDials.
	EventDial EventKind = "dial"
	// EventSettings: the server's first SETTINGS frame on a transport
	// (Settings): a fingerprint of what answers, grpc-go or a proxy.
	EventSettings EventKind = "settings"
	// EventServer: a response header block on a transport named its server
	// (Server: the `server` header, "" when none) or was a reply other than
	// HTTP 200 (HTTPStatus): who answers, the backend or a proxy. Reported
	// once per transport and distinct pair, from the first header blocks.
	EventServer EventKind = "server"
	// EventHandshake: a dial of the runner's (a pool connection's first,
	// or a new one of --reconnect-every) returned with the connection
	// READY; Took is the whole dial, Connect, TLS and HTTP2 its phases,
	// from that dial's own EventDial and EventOpen.
	EventHandshake EventKind = "handshake"
)

// ClosedByClient is the Err of a close that grpc-go made itself.
const ClosedByClient = "closed by the client"

// Event is one event of a pooled connection. Transport numbers the TCP
// connections of one pool connection from 1 (0 for state events, which
// belong to the pool connection).
type Event struct {
	Conn      int       `json:"-"`
	Transport int       `json:"transport,omitempty"`
	Time      time.Time `json:"-"`
	Kind      EventKind `json:"kind"`
	// State is the new connectivity state: IDLE, CONNECTING, READY,
	// TRANSIENT_FAILURE or SHUTDOWN.
	State        string        `json:"state,omitempty"`
	Local        string        `json:"local,omitempty"`
	Remote       string        `json:"remote,omitempty"`
	Code         string        `json:"code,omitempty"`  // GOAWAY or RST_STREAM error code: NO_ERROR, ENHANCE_YOUR_CALM...
	Debug        string        `json:"debug,omitempty"` // GOAWAY debug data: max_age, max_idle, too_many_pings...
	LastStreamID uint32        `json:"last_stream_id,omitempty"`
	Err          string        `json:"error,omitempty"`
	RTT          time.Duration `json:"rtt_ns,omitempty"`
	Unanswered   time.Duration `json:"unanswered_ping_ns,omitempty"`
	// Silence, on GOAWAY and close events, is how long the transport had
	// been without a frame in either direction before it (PINGs do not
	// count: proxies answer them themselves and do not count them as
	// activity): the idle time a proxy's or middlebox's timer measures.
	Silence time.Duration `json:"silence_ns,omitempty"`
	// Settings is the server's SETTINGS ("MAX_CONCURRENT_STREAMS=128
	// INITIAL_WINDOW_SIZE=65536"), on settings events.
	Settings string `json:"settings,omitempty"`
	// Server and HTTPStatus, on server events, are a response's `server`
	// header and its HTTP status when not 200.
	Server     string `json:"server,omitempty"`
	HTTPStatus string `json:"http_status,omitempty"`
	// SinceRead, on close events, is how long nothing at all had been read
	// from the peer before the close (PING ACKs count): how long a dead
	// peer took to be found.
	SinceRead time.Duration `json:"since_read_ns,omitempty"`
	// Took is a dial attempt's duration (dial), the TLS handshake's (open;
	// about 0 in plaintext) or a whole dial's to READY (handshake).
	Took time.Duration `json:"took_ns,omitempty"`
	// Connect, TLS and HTTP2, on handshake events, are the dial's phases:
	// the TCP connect, the TLS handshake (about 0 in plaintext) and from
	// the transport up to READY; 0 when not seen (no dial watcher under an
	// HTTPS proxy).
	Connect time.Duration `json:"connect_ns,omitempty"`
	TLS     time.Duration `json:"tls_ns,omitempty"`
	HTTP2   time.Duration `json:"http2_ns,omitempty"`
	// Cause is why a connection attempt failed (a TRANSIENT_FAILURE state
	// event, a failed dial), from the one table of causes; reports count it
	// by cause.
	Cause Cause `json:"-"`
}
