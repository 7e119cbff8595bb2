package conn

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// causeRule is one row of causeTable: a message that contains every one of
// texts has cause call when it is a call's (or connection attempt's) error,
// and cause dial when it is Dial's. An empty cause means the row does not
// apply to that side. sniff marks dial rows whose text alone cannot tell a
// TLS/plaintext mismatch or an HTTP/1 server: Dial probes the address, and
// keeps dial only when the probe tells nothing.
type causeRule struct {
	texts      []string
	call, dial event.Cause
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
	{texts: []string{"max retries exhausted: failed after "}, call: event.CauseRetriesExhausted},
	{texts: []string{`debug data: "too_many_pings"`}, call: event.CauseTooManyPings},
	{texts: []string{"received prior goaway: code: ENHANCE_YOUR_CALM"}, call: event.CauseTooManyPings},
	{texts: []string{goAwayNoError, `debug data: "max_age"`}, call: event.CauseDrainMaxAge},
	{texts: []string{goAwayNoError, `debug data: "max_idle"`}, call: event.CauseDrainMaxIdle},
	{texts: []string{goAwayNoError, `debug data: "graceful_stop"`}, call: event.CauseDrainGracefulStop},
	{texts: []string{goAwayNoError}, call: event.CauseDrain},
	{texts: []string{"the connection is draining"}, call: event.CauseDrain},
	{texts: []string{"server is draining the connection"}, call: event.CauseDrain},
	{texts: []string{"keepalive ping failed to receive ACK within timeout"}, call: event.CauseKeepaliveTimeout},
	// A refusal, while dialing or quoted by a wait-for-ready deadline.
	{texts: []string{"connection refused"}, call: event.CauseRefused, dial: event.CauseRefused},
	{texts: []string{"no such host"}, dial: event.CauseDNS},
	{texts: []string{"produced zero addresses"}, dial: event.CauseDNS},
	{texts: []string{"Error while dialing"}, call: event.CauseDialFailed},
	{texts: []string{"x509:"}, dial: event.CauseCertificate},
	{texts: []string{"tls: failed to verify certificate"}, dial: event.CauseCertificate},
	{texts: []string{"tls: certificate required"}, dial: event.CauseClientCert},
	{texts: []string{"tls: bad certificate"}, dial: event.CauseClientCert},
	{texts: []string{"tls: unknown certificate authority"}, dial: event.CauseClientCert},
	{texts: []string{"looked like an HTTP/1.1 header"}, dial: event.CauseNotHTTP2},
	{texts: []string{"authentication handshake failed"}, call: event.CauseTLSHandshake, dial: event.CauseTLSHandshake, sniff: true},
	{texts: []string{"error reading server preface", "use of closed network connection"}, call: event.CauseSilentPeerAtConnect},
	{texts: []string{"error reading server preface", "EOF"}, call: event.CauseSilentPeerAtConnect},
	{texts: []string{"error reading server preface", "connection reset"}, call: event.CauseSilentPeerAtConnect},
	// Frame too large, "looked like an HTTP/1.1 header", a bad first frame.
	{texts: []string{"error reading server preface"}, call: event.CauseNotHTTP2},
	{texts: []string{"server preface"}, dial: event.CauseOther, sniff: true},
	{texts: []string{"connection timed out"}, call: event.CauseTCPUserTimeout},
	{texts: []string{"connection reset by peer"}, call: event.CauseConnectionReset},
	{texts: []string{"error reading from server: EOF"}, call: event.CausePeerClosed},
	// An intermediary's answer in place of the server's (after the
	// transport rows: a proxy's status line never says EOF or reset, and
	// its body is not read, see ClassifyMessage).
	{texts: []string{"unexpected HTTP status code received from server: 502"}, call: event.CauseHTTP502},
	{texts: []string{"unexpected HTTP status code received from server: 503"}, call: event.CauseHTTP503},
	{texts: []string{"unexpected HTTP status code received from server: 504"}, call: event.CauseHTTP504},
	{texts: []string{"unexpected HTTP status code received from server:"}, call: event.CauseHTTPStatus},
	{texts: []string{"stream terminated by RST_STREAM with error code: INTERNAL_ERROR"}, call: event.CauseRSTStreamInternal},
	{texts: []string{"stream terminated by RST_STREAM with error code: CANCEL"}, call: event.CauseRSTStreamCancel},
	{texts: []string{"stream terminated by RST_STREAM with error code:"}, call: event.CauseRSTStream},
	{texts: []string{"server closed the stream without sending trailers"}, call: event.CauseNoTrailers},
	{texts: []string{"EOF"}, dial: event.CauseOther, sniff: true},
	{texts: []string{"connection reset"}, dial: event.CauseOther, sniff: true},
	{texts: []string{"broken pipe"}, dial: event.CauseOther, sniff: true},
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
func Classify(err error, ready bool) event.Cause {
	if err == nil {
		return ""
	}
	s := status.Convert(err)
	return ClassifyMessage(s.Code(), s.Message(), ready)
}

// ClassifyMessage is Classify on a status code and message. The body of
// a non-gRPC answer that grpc-go (1.85 on) and the h2 engine add after
// "\ndata: " is left out: a proxy's error page may quote any error of its
// own upstream ("connection refused"), yet the call's cause is the proxy's
// HTTP status.
func ClassifyMessage(code codes.Code, msg string, ready bool) event.Cause {
	if code == codes.OK {
		return ""
	}
	if i := strings.Index(msg, "\ndata: "); i >= 0 {
		msg = msg[:i]
	}
	for i := range causeTable {
		if r := &causeTable[i]; r.call != "" && r.matches(msg) {
			return r.call
		}
	}
	if code == codes.DeadlineExceeded && ready {
		return event.CauseDeadlineWhileReady
	}
	return event.CauseOther
}

// dialCause returns the cause Dial's classification starts from for a
// failed connection's error text, and whether probing the address may tell
// more; CauseOther, true-or-false, when no row matches.
func dialCause(msg string) (event.Cause, bool) {
	for i := range causeTable {
		if r := &causeTable[i]; r.dial != "" && r.matches(msg) {
			return r.dial, r.sniff
		}
	}
	return event.CauseOther, false
}
