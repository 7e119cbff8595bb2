package event

// Cause is the transport cause of a failed call, a failed connection
// attempt, or a failed Dial, named from grpc-go's error text. The strings
// are those of docs/report.md ("Failure causes"); saved reports use them as
// keys (failure_causes, connect_failures), so they never change.
type Cause string

// The HTTP/2 error codes and grpc-go's debug data of the GOAWAYs that name a
// cause, as connection events carry them (Event.Code, Event.Debug).
const (
	H2NoError         = "NO_ERROR"
	H2EnhanceYourCalm = "ENHANCE_YOUR_CALM"

	DebugTooManyPings = "too_many_pings"
	DebugMaxAge       = "max_age"
	DebugMaxIdle      = "max_idle"
	DebugGracefulStop = "graceful_stop"
)

// drainPrefix starts the causes of calls that died on a draining connection.
const drainPrefix = "goaway_draining"

// The causes Classify tells apart, for failed calls and connection attempts.
const (
	// CauseTooManyPings: the server sent GOAWAY ENHANCE_YOUR_CALM
	// "too_many_pings" (it rejected the client's keepalive pings).
	CauseTooManyPings Cause = DebugTooManyPings
	// CauseDrainMaxAge, CauseDrainMaxIdle and CauseDrainGracefulStop: the
	// call died on a connection the server was draining with GOAWAY
	// NO_ERROR, for the reason its debug data named (MaxConnectionAge,
	// MaxConnectionIdle, GracefulStop).
	CauseDrainMaxAge       Cause = drainPrefix + " " + DebugMaxAge
	CauseDrainMaxIdle      Cause = drainPrefix + " " + DebugMaxIdle
	CauseDrainGracefulStop Cause = drainPrefix + " " + DebugGracefulStop
	// CauseDrain: the same with no (or unknown) debug data, or grpc-go's
	// "the connection is draining".
	CauseDrain Cause = drainPrefix
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
	// (an HTTP/1.1 server, or TLS against plaintext). Dial uses it only for
	// an HTTP/1.x server: it tells TLS/plaintext mismatches apart.
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

// The finer causes only Dial names: it can look closer than a call's status
// message (probing the address when the text is ambiguous).
const (
	// CauseBadTarget: grpc-go would not take the address at all.
	CauseBadTarget Cause = "bad_target"
	// CauseDNS: the host name did not resolve.
	CauseDNS Cause = "dns"
	// CauseConnectTimeout: the connection was not ready within the
	// connect timeout, and the probe found no other explanation.
	CauseConnectTimeout Cause = "connect_timeout"
	// CauseServerIsPlaintext: TLS against a plaintext HTTP/2 server.
	CauseServerIsPlaintext Cause = "tls_to_plaintext"
	// CauseServerIsTLS: plaintext against a TLS server.
	CauseServerIsTLS Cause = "plaintext_to_tls"
	// CauseCertificate: the server's certificate was not accepted.
	CauseCertificate Cause = "certificate"
	// CauseClientCert: the server wanted a client certificate it did not
	// get or did not accept.
	CauseClientCert Cause = "client_certificate"
)

// GoAway is the reason of the GOAWAY behind c, as reports key GOAWAYs (the
// error code, then the debug data: "NO_ERROR max_age", Connectivity.GoAways);
// "" for a cause no GOAWAY names. A call that fails with c died on a
// connection that received that GOAWAY.
func (c Cause) GoAway() string {
	switch c {
	case CauseTooManyPings:
		return H2EnhanceYourCalm + " " + DebugTooManyPings
	case CauseDrainMaxAge, CauseDrainMaxIdle, CauseDrainGracefulStop:
		return H2NoError + string(c[len(drainPrefix):])
	case CauseDrain:
		return H2NoError
	}
	return ""
}
