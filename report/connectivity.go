package report

import (
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// DefaultKeepaliveTimeout is grpc-go's keepalive timeout when none is set.
const DefaultKeepaliveTimeout = 20 * time.Second

// Event is a connection event as the report holds it: when it happened
// relative to the start of measurement (negative for the initial connects
// and warm-up), and the runner's event. Its Time and Conn are zero: At and
// the enclosing Connection say them.
type Event struct {
	At time.Duration `json:"at_ns"`
	event.Event
}

// Connectivity is what the run's pool connections went through, added up
// over all of them.
type Connectivity struct {
	// Connects counts transports opened (TCP and TLS done), first
	// connections included.
	Connects int64 `json:"connects"`
	// Reconnects counts the times a pool connection became READY again
	// after losing its transport.
	Reconnects int64 `json:"reconnects"`
	// ConnectFailures counts failed connection attempts (TRANSIENT_FAILURE)
	// by cause.
	ConnectFailures map[event.Cause]int64 `json:"connect_failures"`
	// HandshakeFailures counts TLS handshakes that failed.
	HandshakeFailures int64 `json:"handshake_failures"`
	// Closes counts transport closes by reason (client,
	// client_ping_unanswered, after_goaway, peer_eof, peer_reset, timed_out,
	// other).
	Closes map[string]int64 `json:"closes"`
	// GoAways counts GOAWAYs by code and debug data ("NO_ERROR max_age"),
	// once per transport: the two frames of a graceful drain count once.
	GoAways map[string]int64 `json:"goaways"`
	// GoAwayTiming says, per GOAWAY reason, when it first came and how old
	// and how idle the transports were when it did.
	GoAwayTiming map[string]GoAwayTiming `json:"goaway_timing"`
	// CloseSilence is, per close reason the client did not cause (peer_eof,
	// peer_reset, timed_out, other), how long the transports had been
	// without a frame (PINGs aside) when they closed: a constant silence is
	// an idle timer on the path. Omitted when there were none.
	CloseSilence map[string]Spread `json:"close_silence,omitempty"`
	// PeerSettings counts transports by the server's first SETTINGS frame
	// ("MAX_CONCURRENT_STREAMS=128 INITIAL_WINDOW_SIZE=65536 ..."): a
	// fingerprint of what answered (grpc-go, nginx, haproxy).
	PeerSettings map[string]int64 `json:"peer_settings,omitempty"`
	// PeerServers counts transports by what their first response headers
	// said of who answers: the `server` header ("envoy", "nginx/1.22.1",
	// "-" for none), with " HTTP 503" added for a reply other than 200 (a
	// proxy's own answer). Omitted when none was seen.
	PeerServers map[string]int64 `json:"peer_servers,omitempty"`
	// SilentOpens counts transports whose TCP connection was accepted but
	// on which no HTTP/2 SETTINGS ever came from the server (closed without
	// one, or still waiting at the end): a frozen or overloaded process
	// whose listen backlog accepts connections nobody serves.
	SilentOpens int64 `json:"opens_without_settings,omitempty"`
	// RSTStreams counts streams the server reset, by HTTP/2 code.
	RSTStreams map[string]int64 `json:"rst_streams"`
	Keepalive  KeepaliveStats   `json:"keepalive"`
	// ReconnectLatency is from a pool connection losing its transport
	// (close, or leaving READY) to its next READY.
	ReconnectLatency *Histogram `json:"reconnect_latency"`
	// Backoff is the time pool connections spent in TRANSIENT_FAILURE
	// before their next state, one value per stay. grpc-go's pick_first
	// stays in TRANSIENT_FAILURE for a whole outage (sticky TF), retrying
	// with backoff meanwhile, so Count is the outages (connection failures
	// seen), not the connect attempts, and the times are outages, not
	// backoff waits.
	Backoff Spread `json:"backoff"`
	// Unavailable is the time pool connections spent in CONNECTING or
	// TRANSIENT_FAILURE after their first READY, within the measured run,
	// summed over them.
	Unavailable time.Duration `json:"unavailable_ns"`
	// FailureCauses counts failed calls by transport cause.
	FailureCauses map[event.Cause]int64 `json:"failure_causes"`
	// Retries counts attempts when a retry policy was in force; nil when
	// attempts were not counted.
	Retries *RetryStats `json:"retries,omitempty"`
	// Dials is every connection attempt, as the dialer saw it; nil when
	// attempts were not watched (an HTTPS proxy in the environment, or a
	// report older than it).
	Dials *DialStats `json:"dials,omitempty"`
	// Handshake is how long connections took to set up, by phase; nil when
	// not measured (--reconnect-every measures it).
	Handshake *Handshake `json:"handshake,omitempty"`
	// DeadPeerDetection is, for transports closed by a keepalive timeout
	// or the kernel's (TCP_USER_TIMEOUT), how long nothing had come from
	// the server before the close: how long a dead peer took to be found.
	// Nil when there were none.
	DeadPeerDetection *Spread `json:"dead_peer_detection,omitempty"`
	// Notes are settings grpc-go changed or that look like mistakes.
	Notes []string `json:"notes"`
	// DroppedEvents counts events counted but not kept (see
	// Connection.Events).
	DroppedEvents int64 `json:"dropped_events"`
}

// GoAwayTiming is what the run saw of one GOAWAY reason.
type GoAwayTiming struct {
	// FirstAt is when the first came, relative to the start of measurement.
	FirstAt time.Duration `json:"first_at_ns"`
	// Age is how long the transports had been open when it came.
	Age Spread `json:"age"`
	// Idle is how long the pool connection had been without a call ending
	// (or, if shorter, the transport open) when it came.
	Idle Spread `json:"idle"`
	// Silence is how long the transports had been without a frame (PINGs
	// aside) when it came: the idle time a proxy's timer measures. Nil in
	// older reports.
	Silence *Spread `json:"silence,omitempty"`
	// LastStreamMin and LastStreamMax are the range of its last_stream_id:
	// a constant 2N−1 is a cap of N requests per connection.
	// Both leave out the graceful-shutdown sentinel 2^31−1
	// (conn.GoAwaySentinel), which is never a count.
	LastStreamMin uint32 `json:"last_stream_min,omitempty"`
	LastStreamMax uint32 `json:"last_stream_max,omitempty"`
	// Sentinels counts those GOAWAYs whose last_stream_id was the sentinel
	// 2^31−1: the first of a graceful two-step shutdown (RFC 9113 §6.8).
	Sentinels int64 `json:"sentinels,omitempty"`
	// LastAt is when the last came, relative to the start of measurement:
	// GOAWAYs that all came within a moment are one event (a shutdown),
	// GOAWAYs spread over the run a timer.
	LastAt time.Duration `json:"last_at_ns,omitempty"`
}

// KeepaliveStats is the client keepalive: as configured, as grpc-go ran it,
// and its pings.
type KeepaliveStats struct {
	// Time is --keepalive-time as given; 0 means keepalive was off.
	Time time.Duration `json:"time_ns"`
	// Effective is the interval grpc-go used at the end: Time raised to its
	// 10s minimum, doubled at each too_many_pings GOAWAY (the largest over
	// the pool connections).
	Effective time.Duration `json:"effective_time_ns"`
	// Timeout is how long a ping may go unanswered (grpc-go's 20s when not
	// set); 0 when keepalive is off.
	Timeout             time.Duration `json:"timeout_ns"`
	PermitWithoutStream bool          `json:"permit_without_stream"`
	// Pings and Acks count keepalive pings sent and answered; RTTMean and
	// RTTMax are of the answered ones.
	Pings   int64         `json:"pings"`
	Acks    int64         `json:"acks"`
	RTTMean time.Duration `json:"rtt_mean_ns"`
	RTTMax  time.Duration `json:"rtt_max_ns"`
	// UnansweredCloses counts transports grpc-go closed while a ping was
	// unanswered; UnansweredMax is the longest such wait. A wait of at
	// least 90% of Timeout is a keepalive timeout (grpc-go's timer starts a
	// little before the ping is seen written).
	UnansweredCloses int64         `json:"unanswered_closes"`
	UnansweredMax    time.Duration `json:"unanswered_max_ns"`
	// PingsBeforeCalm is the fewest keepalive pings a transport had sent
	// when the server answered GOAWAY ENHANCE_YOUR_CALM: the ping at which
	// it struck the connection out (0: none seen).
	PingsBeforeCalm int64 `json:"pings_before_too_many_pings,omitempty"`
}

// RetryStats counts call attempts under a retry policy.
type RetryStats struct {
	// Calls is the recorded calls, Attempts every attempt they made (first
	// ones included).
	Calls    int64 `json:"calls"`
	Attempts int64 `json:"attempts"`
	// Retries are the attempts grpc-go's retry policy made; Transparent the
	// ones it made by itself for streams the server never saw.
	Retries     int64 `json:"retries"`
	Transparent int64 `json:"transparent"`
	// Exhausted counts calls that failed after their last attempt
	// (retries_exhausted).
	Exhausted int64 `json:"exhausted"`
}

// PingTimedOut says whether a close with a keepalive ping unanswered for
// wait was grpc-go's keepalive timeout (timeout; 0 when keepalive is off).
// grpc-go starts its timer before the tap sees the ping written, so the
// wait seen may fall a little short of the timeout: 90% of it counts.
func PingTimedOut(wait, timeout time.Duration) bool {
	return timeout > 0 && wait >= timeout-timeout/10
}

// AddCounts adds the counts of src into dst.
func AddCounts[K comparable](dst, src map[K]int64) {
	for k, n := range src {
		dst[k] += n
	}
}
