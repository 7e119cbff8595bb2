package report

import (
	"strings"

	"google.golang.org/grpc/codes"
)

// Cause is the transport cause of a failed call or of a failed connection
// attempt, read from grpc-go's status message (the strings of
// docs/report.md, "Failure causes"). A call has one cause on top of its
// status code.
type Cause string

// The causes Classify tells apart.
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
	// CauseOther: none of the above.
	CauseOther Cause = "other"
)

// cause indexes causes in fixed-size counters (no map on the call path).
type cause uint8

const (
	causeOther cause = iota
	causeTooManyPings
	causeDrainMaxAge
	causeDrainMaxIdle
	causeDrainGracefulStop
	causeDrain
	causeKeepaliveTimeout
	causeTCPUserTimeout
	causeConnectionReset
	causePeerClosed
	causeRefused
	causeDialFailed
	causeTLSHandshake
	causeNotHTTP2
	causeSilentPeerAtConnect
	causeRetriesExhausted
	causeDeadlineWhileReady
	numCauses
)

var causeNames = [numCauses]Cause{
	CauseOther, CauseTooManyPings, CauseDrainMaxAge, CauseDrainMaxIdle, CauseDrainGracefulStop, CauseDrain,
	CauseKeepaliveTimeout, CauseTCPUserTimeout, CauseConnectionReset, CausePeerClosed, CauseRefused,
	CauseDialFailed, CauseTLSHandshake, CauseNotHTTP2, CauseSilentPeerAtConnect, CauseRetriesExhausted,
	CauseDeadlineWhileReady,
}

// Classify returns the transport cause of a call that ended with code and
// status message msg; ready reports that the call's pool connection was
// READY when it ended. It returns "" for OK. The checks are substring tests
// in a fixed order (a message can carry several: a GOAWAY's message also
// says EOF), matching grpc-go's wording both before 1.81 ("read tcp") and
// after ("raw-read tcp").
func Classify(code codes.Code, msg string, ready bool) Cause {
	if code == codes.OK {
		return ""
	}
	return causeNames[classify(code, msg, ready)]
}

func classify(code codes.Code, msg string, ready bool) cause {
	has := func(s string) bool { return strings.Contains(msg, s) }
	switch {
	case has("max retries exhausted: failed after "):
		return causeRetriesExhausted
	case has(`debug data: "too_many_pings"`), has("received prior goaway: code: ENHANCE_YOUR_CALM"):
		return causeTooManyPings
	case has("received prior goaway: code: NO_ERROR"):
		switch {
		case has(`debug data: "max_age"`):
			return causeDrainMaxAge
		case has(`debug data: "max_idle"`):
			return causeDrainMaxIdle
		case has(`debug data: "graceful_stop"`):
			return causeDrainGracefulStop
		}
		return causeDrain
	case has("the connection is draining"), has("server is draining the connection"):
		return causeDrain
	case has("keepalive ping failed to receive ACK within timeout"):
		return causeKeepaliveTimeout
	case has("Error while dialing"):
		if has("connection refused") {
			return causeRefused
		}
		return causeDialFailed
	case has("connection refused"): // a wait-for-ready deadline quoting the balancer's error
		return causeRefused
	case has("authentication handshake failed"):
		return causeTLSHandshake
	case has("error reading server preface"):
		if has("use of closed network connection") || has("EOF") || has("connection reset") {
			return causeSilentPeerAtConnect
		}
		return causeNotHTTP2 // frame too large, "looked like an HTTP/1.1 header", bad first frame
	case has("connection timed out"):
		return causeTCPUserTimeout
	case has("connection reset by peer"):
		return causeConnectionReset
	case has("error reading from server: EOF"):
		return causePeerClosed
	case code == codes.DeadlineExceeded && ready:
		return causeDeadlineWhileReady
	}
	return causeOther
}

// connectCause is the cause of a failed connection attempt (the error of a
// TRANSIENT_FAILURE state).
func connectCause(err string) cause {
	return classify(codes.Unavailable, err, false)
}
