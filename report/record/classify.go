package record

import (
	"strings"

	"github.com/grpcpulse/grpcpulse/report"

	"google.golang.org/grpc/codes"
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
	causeHTTP502
	causeHTTP503
	causeHTTP504
	causeHTTPStatus
	causeRSTStreamInternal
	causeRSTStreamCancel
	causeRSTStream
	causeNoTrailers
	numCauses
)

var causeNames = [numCauses]report.Cause{
	report.CauseOther, report.CauseTooManyPings, report.CauseDrainMaxAge, report.CauseDrainMaxIdle, report.CauseDrainGracefulStop, report.CauseDrain,
	report.CauseKeepaliveTimeout, report.CauseTCPUserTimeout, report.CauseConnectionReset, report.CausePeerClosed, report.CauseRefused,
	report.CauseDialFailed, report.CauseTLSHandshake, report.CauseNotHTTP2, report.CauseSilentPeerAtConnect, report.CauseRetriesExhausted,
	report.CauseDeadlineWhileReady, report.CauseHTTP502, report.CauseHTTP503, report.CauseHTTP504, report.CauseHTTPStatus,
	report.CauseRSTStreamInternal, report.CauseRSTStreamCancel, report.CauseRSTStream, report.CauseNoTrailers,
}

// Classify returns the transport cause of a call that ended with code and
// status message msg; ready reports that the call's pool connection was
// READY when it ended. It returns "" for OK. The checks are substring tests
// in a fixed order (a message can carry several: a GOAWAY's message also
// says EOF), matching grpc-go's wording both before 1.81 ("read tcp") and
// after ("raw-read tcp").
func Classify(code codes.Code, msg string, ready bool) report.Cause {
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
	case has("unexpected HTTP status code received from server:"):
		return httpStatusCause(msg)
	case has("stream terminated by RST_STREAM with error code:"):
		switch {
		case has("code: INTERNAL_ERROR"):
			return causeRSTStreamInternal
		case has("code: CANCEL"):
			return causeRSTStreamCancel
		}
		return causeRSTStream
	case has("server closed the stream without sending trailers"):
		return causeNoTrailers
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

// httpStatusCause is the cause of an "unexpected HTTP status code" message:
// an intermediary answered in place of the server.
func httpStatusCause(msg string) cause {
	for _, c := range []struct {
		text string
		why  cause
	}{{"server: 502", causeHTTP502}, {"server: 503", causeHTTP503}, {"server: 504", causeHTTP504}} {
		if strings.Contains(msg, c.text) {
			return c.why
		}
	}
	return causeHTTPStatus
}
