package conn

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Cause is the transport cause of a failed call, a failed connection
// attempt, or a failed Dial, named from grpc-go's error text. The strings
// are those of docs/report.md ("Failure causes"); saved reports use them as
// keys (failure_causes, connect_failures), so they never change.
type Cause string

// The causes Classify tells apart, for failed calls and connection attempts.
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

// causeRule is one row of causeTable: a message that contains every one of
// texts has cause call when it is a call's (or connection attempt's) error,
// and cause dial when it is Dial's. An empty cause means the row does not
// apply to that side. sniff marks dial rows whose text alone cannot tell a
// TLS/plaintext mismatch or an HTTP/1 server: Dial probes the address, and
// keeps dial only when the probe tells nothing.
type causeRule struct {
	texts      []string
	call, dial Cause
	sniff      bool
}

// goAwayNoError starts the message of a call that died on a drained connection.
const goAwayNoError = "received prior goaway: code: NO_ERROR"

// causeTable is the one table of grpc-go's error texts, tried in order; the
// first matching row of a side wins. The order matters: a message can
// carry several texts (a GOAWAY's message also says EOF; exhausted retries
// quote the last attempt's error). The texts are grpc-go's wording both
// before 1.81 ("read tcp") and after ("raw-read tcp").
var causeTable = []causeRule{
	{texts: []string{"max retries exhausted: failed after "}, call: CauseRetriesExhausted},
	{texts: []string{`debug data: "too_many_pings"`}, call: CauseTooManyPings},
	{texts: []string{"received prior goaway: code: ENHANCE_YOUR_CALM"}, call: CauseTooManyPings},
	{texts: []string{goAwayNoError, `debug data: "max_age"`}, call: CauseDrainMaxAge},
	{texts: []string{goAwayNoError, `debug data: "max_idle"`}, call: CauseDrainMaxIdle},
	{texts: []string{goAwayNoError, `debug data: "graceful_stop"`}, call: CauseDrainGracefulStop},
	{texts: []string{goAwayNoError}, call: CauseDrain},
	{texts: []string{"the connection is draining"}, call: CauseDrain},
	{texts: []string{"server is draining the connection"}, call: CauseDrain},
	{texts: []string{"keepalive ping failed to receive ACK within timeout"}, call: CauseKeepaliveTimeout},
	// A refusal, while dialing or quoted by a wait-for-ready deadline.
	{texts: []string{"connection refused"}, call: CauseRefused, dial: CauseRefused},
	{texts: []string{"no such host"}, dial: CauseDNS},
	{texts: []string{"produced zero addresses"}, dial: CauseDNS},
	{texts: []string{"Error while dialing"}, call: CauseDialFailed},
	{texts: []string{"x509:"}, dial: CauseCertificate},
	{texts: []string{"tls: failed to verify certificate"}, dial: CauseCertificate},
	{texts: []string{"tls: certificate required"}, dial: CauseClientCert},
	{texts: []string{"tls: bad certificate"}, dial: CauseClientCert},
	{texts: []string{"tls: unknown certificate authority"}, dial: CauseClientCert},
	{texts: []string{"looked like an HTTP/1.1 header"}, dial: CauseNotHTTP2},
	{texts: []string{"authentication handshake failed"}, call: CauseTLSHandshake, dial: CauseTLSHandshake, sniff: true},
	{texts: []string{"error reading server preface", "use of closed network connection"}, call: CauseSilentPeerAtConnect},
	{texts: []string{"error reading server preface", "EOF"}, call: CauseSilentPeerAtConnect},
	{texts: []string{"error reading server preface", "connection reset"}, call: CauseSilentPeerAtConnect},
	// Frame too large, "looked like an HTTP/1.1 header", a bad first frame.
	{texts: []string{"error reading server preface"}, call: CauseNotHTTP2},
	{texts: []string{"server preface"}, dial: CauseOther, sniff: true},
	{texts: []string{"connection timed out"}, call: CauseTCPUserTimeout},
	{texts: []string{"connection reset by peer"}, call: CauseConnectionReset},
	{texts: []string{"error reading from server: EOF"}, call: CausePeerClosed},
	// An intermediary's answer in place of the server's (after the
	// transport rows: a proxy's status never says EOF or reset).
	{texts: []string{"unexpected HTTP status code received from server: 502"}, call: CauseHTTP502},
	{texts: []string{"unexpected HTTP status code received from server: 503"}, call: CauseHTTP503},
	{texts: []string{"unexpected HTTP status code received from server: 504"}, call: CauseHTTP504},
	{texts: []string{"unexpected HTTP status code received from server:"}, call: CauseHTTPStatus},
	{texts: []string{"stream terminated by RST_STREAM with error code: INTERNAL_ERROR"}, call: CauseRSTStreamInternal},
	{texts: []string{"stream terminated by RST_STREAM with error code: CANCEL"}, call: CauseRSTStreamCancel},
	{texts: []string{"stream terminated by RST_STREAM with error code:"}, call: CauseRSTStream},
	{texts: []string{"server closed the stream without sending trailers"}, call: CauseNoTrailers},
	{texts: []string{"EOF"}, dial: CauseOther, sniff: true},
	{texts: []string{"connection reset"}, dial: CauseOther, sniff: true},
	{texts: []string{"broken pipe"}, dial: CauseOther, sniff: true},
}

func (r *causeRule) matches(msg string) bool {
	for _, t := range r.texts {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	return true
}

// Classify returns the transport cause of a call that failed with err;
// ready reports that the call's pool connection was READY when it ended.
// It returns "" for a nil error or OK status. It reads the status code and
// message (status.Convert: a wrapped status error, as grpc-go returns
// exhausted retries, keeps its wrapping text).
func Classify(err error, ready bool) Cause {
	if err == nil {
		return ""
	}
	s := status.Convert(err)
	return ClassifyMessage(s.Code(), s.Message(), ready)
}

// ClassifyMessage is Classify on a status code and message.
func ClassifyMessage(code codes.Code, msg string, ready bool) Cause {
	if code == codes.OK {
		return ""
	}
	for i := range causeTable {
		if r := &causeTable[i]; r.call != "" && r.matches(msg) {
			return r.call
		}
	}
	if code == codes.DeadlineExceeded && ready {
		return CauseDeadlineWhileReady
	}
	return CauseOther
}

// dialCause returns the cause Dial's classification starts from for a
// failed connection's error text, and whether probing the address may tell
// more; CauseOther, true-or-false, when no row matches.
func dialCause(msg string) (Cause, bool) {
	for i := range causeTable {
		if r := &causeTable[i]; r.dial != "" && r.matches(msg) {
			return r.dial, r.sniff
		}
	}
	return CauseOther, false
}
