package report

// Cause is the transport cause of a failed call or of a failed connection
// attempt, read from grpc-go's status message (the strings of
// docs/report.md, "Failure causes"). A call has one cause on top of its
// status code.
type Cause string

// The causes record.Classify tells apart.
const (
	// CauseTooManyPings: the server sent GOAWAY ENHANCE_YOUR_CALM
	// "too_many_pings" (it rejected the client's keepalive pings).
	CauseTooManyPings Cause = "too_many_pings"
	// CauseDrainMaxAge, CauseDrainMaxIdle and CauseDrainGracefulStop: the
	// call died on a connection the server was draining with GOAWAY
	// NO_ERROR, for the reason its debug data named (MaxConnectionAge,
	// MaxConnectionIdle, GracefulStop).
	CauseDrainMaxAge       Cause = "goaway_draining max_age"
	CauseDrainMaxIdle      Cause = "goaway_draining max_idle"
	CauseDrainGracefulStop Cause = "goaway_draining graceful_stop"
	// CauseDrain: the same with no (or unknown) debug data, or grpc-go's
	// "the connection is draining".
	CauseDrain Cause = "goaway_draining"
	// CauseKeepaliveTimeout: no PING ACK came back within the keepalive
	// timeout.
	CauseKeepaliveTimeout Cause = "keepalive_timeout"
	// CauseTCPUserTimeout: the kernel gave up on unacknowledged data
	// (TCP_USER_TIMEOUT, which grpc-go sets to the keepalive timeout).
	CauseTCPUserTimeout Cause = "tcp_user_timeout"
	// CauseConnectionReset: the peer or a middlebox reset the connection.
	CauseConnectionReset Cause = "connection_reset"
	// CausePeerClosed: the peer closed the connection (EOF) with no GOAWAY.
	CausePeerClosed Cause = "peer_closed"
	// CauseRefused: nothing listened on the address.
	CauseRefused Cause = "refused"
	// CauseDialFailed: another dial failure (i/o timeout, no route to host,
	// no such host).
	CauseDialFailed Cause = "dial_failed"
	// CauseTLSHandshake: the TLS handshake failed.
	CauseTLSHandshake Cause = "tls_handshake"
	// CauseNotHTTP2: the peer answered with something other than HTTP/2
	// (an HTTP/1.1 server, or TLS against plaintext).
	CauseNotHTTP2 Cause = "not_http2"
	// CauseSilentPeerAtConnect: TCP connected but no HTTP/2 server preface
	// came (the peer stayed silent, or closed).
	CauseSilentPeerAtConnect Cause = "silent_peer_at_connect"
	// CauseRetriesExhausted: the retry policy gave up (grpc-go ≥ 1.81).
	CauseRetriesExhausted Cause = "retries_exhausted"
	// CauseDeadlineWhileReady: the deadline passed while the pool connection
	// was READY, with no transport error: what a silent blackhole looks like
	// (or a slow server).
	CauseDeadlineWhileReady Cause = "deadline_while_ready"
	// CauseHTTP502, CauseHTTP503 and CauseHTTP504: an HTTP/2 intermediary
	// (nginx, haproxy, Envoy, a cloud load balancer) answered the call
	// itself with that HTTP status instead of the server's gRPC response:
	// 502 it could not reach the backend, 503 no backend was available, 504
	// the backend did not answer within its timeout.
	CauseHTTP502 Cause = "http_502"
	CauseHTTP503 Cause = "http_503"
	CauseHTTP504 Cause = "http_504"
	// CauseHTTPStatus: another unexpected HTTP status in place of a gRPC
	// response (a proxy's 4xx or 500, an HTTP server on the path).
	CauseHTTPStatus Cause = "http_status"
	// CauseRSTStreamInternal and CauseRSTStreamCancel: the stream was reset
	// with RST_STREAM INTERNAL_ERROR or CANCEL (nginx cuts a stream silent
	// for grpc_read_timeout with INTERNAL_ERROR); CauseRSTStream another
	// code.
	CauseRSTStreamInternal Cause = "rst_stream_internal"
	CauseRSTStreamCancel   Cause = "rst_stream_cancel"
	CauseRSTStream         Cause = "rst_stream"
	// CauseNoTrailers: the stream ended without gRPC trailers (haproxy ends
	// a stream silent for "timeout server" so).
	CauseNoTrailers Cause = "no_trailers"
	// CauseOther: none of the above.
	CauseOther Cause = "other"
)
