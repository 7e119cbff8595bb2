package report

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner"
)

// The messages are grpc-go v1.85.0's, as observed (KEEPALIVE.md §a and §e),
// with the older "read tcp" wording where it differs.
func TestClassify(t *testing.T) {
	const unavailable, deadline = codes.Unavailable, codes.DeadlineExceeded
	tests := []struct {
		name  string
		code  codes.Code
		msg   string
		ready bool
		want  Cause
	}{
		{"ok", codes.OK, "", true, ""},
		{"too_many_pings EOF", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM, debug data: "too_many_pings"`, false, CauseTooManyPings},
		{"too_many_pings reset", unavailable, `closing transport due to: connection error: desc = "error reading from server: connection reset by peer", received prior goaway: code: ENHANCE_YOUR_CALM, debug data: "too_many_pings"`, false, CauseTooManyPings},
		{"enhance your calm without debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM`, false, CauseTooManyPings},
		{"max_age", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"`, false, CauseDrainMaxAge},
		{"max_age reset", unavailable, `closing transport due to: connection error: desc = "error reading from server: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", received prior goaway: code: NO_ERROR, debug data: "max_age"`, false, CauseDrainMaxAge},
		{"max_idle", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_idle"`, false, CauseDrainMaxIdle},
		{"graceful_stop", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "graceful_stop"`, false, CauseDrainGracefulStop},
		{"no_error without debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR`, false, CauseDrain},
		{"unknown debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "envoy overload"`, false, CauseDrain},
		{"connection draining", unavailable, "the connection is draining", true, CauseDrain},
		{"stream rejected draining", unavailable, "the stream is rejected because server is draining the connection", false, CauseDrain},
		{"keepalive timeout", unavailable, "keepalive ping failed to receive ACK within timeout", false, CauseKeepaliveTimeout},
		{"tcp user timeout", unavailable, "error reading from server: connection timed out", false, CauseTCPUserTimeout},
		{"tcp user timeout raw-read", unavailable, "error reading from server: raw-read tcp 10.0.0.9:40000->10.0.0.1:50051: read: connection timed out", false, CauseTCPUserTimeout},
		{"tcp user timeout read tcp", unavailable, "error reading from server: read tcp 10.0.0.9:40000->10.0.0.1:50051: read: connection timed out", false, CauseTCPUserTimeout},
		{"reset", unavailable, "error reading from server: connection reset by peer", false, CauseConnectionReset},
		{"reset raw-read", unavailable, "error reading from server: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", false, CauseConnectionReset},
		{"reset read tcp", unavailable, "error reading from server: read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", false, CauseConnectionReset},
		{"peer closed", unavailable, "error reading from server: EOF", false, CausePeerClosed},
		{"refused", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused"`, false, CauseRefused},
		{"refused wait for ready", deadline, `latest balancer error: connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused"`, false, CauseRefused},
		{"dial i/o timeout", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: i/o timeout"`, false, CauseDialFailed},
		{"dial connect timed out", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: connect: connection timed out"`, false, CauseDialFailed},
		{"dial no such host", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp: lookup nosuch.example: no such host"`, false, CauseDialFailed},
		{"tls", unavailable, `connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`, false, CauseTLSHandshake},
		{"tls certificate", unavailable, `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`, false, CauseTLSHandshake},
		{"http/1.1 peer", unavailable, `connection error: desc = "error reading server preface: http2: failed reading the frame payload: http2: frame too large, note that the frame header looked like an HTTP/1.1 header"`, false, CauseNotHTTP2},
		{"tls server, plaintext client", unavailable, `connection error: desc = "error reading server preface: http2: frame too large"`, false, CauseNotHTTP2},
		{"silent peer raw-read", unavailable, `connection error: desc = "error reading server preface: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: use of closed network connection"`, false, CauseSilentPeerAtConnect},
		{"silent peer read tcp", unavailable, `connection error: desc = "error reading server preface: read tcp 127.0.0.1:40000->127.0.0.1:50051: use of closed network connection"`, false, CauseSilentPeerAtConnect},
		{"peer closes at connect", unavailable, `connection error: desc = "error reading server preface: EOF"`, false, CauseSilentPeerAtConnect},
		{"retries exhausted", unavailable, "max retries exhausted: failed after 3 attempts: rpc error: code = Unavailable desc = synthetic unavailable from server", false, CauseRetriesExhausted},
		{"retries exhausted over a refusal", unavailable, `max retries exhausted: failed after 5 attempts: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`, false, CauseRetriesExhausted},
		{"deadline while ready", deadline, "context deadline exceeded", true, CauseDeadlineWhileReady},
		{"deadline not ready", deadline, "context deadline exceeded", false, CauseOther},
		{"wait for ready timeout", deadline, "context deadline exceeded while waiting for connections to become ready", false, CauseOther},
		{"rst_stream", codes.Internal, "stream terminated by RST_STREAM with error code: PROTOCOL_ERROR", true, CauseOther},
		{"client closing", codes.Canceled, "grpc: the client connection is closing", true, CauseOther},
		{"application error", codes.NotFound, "no such user", true, CauseOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.code, tt.msg, tt.ready); got != tt.want {
				t.Errorf("Classify(%v, %q, %v) = %q, want %q", tt.code, tt.msg, tt.ready, got, tt.want)
			}
		})
	}
}

// The recorder classifies from the status message, also of a wrapped status
// error (how grpc-go returns exhausted retries), and counts per connection.
func TestRecorderCountsFailureCauses(t *testing.T) {
	r := newTestRecorder(runner.Unary, 1)
	w := r.Worker(0, 1)
	r.Begin(t0)
	fail := func(code codes.Code, err error, ready bool) {
		w.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0.Add(time.Millisecond), Code: code, Err: err, Ready: ready})
	}
	fail(codes.Unavailable, status.Error(codes.Unavailable, "error reading from server: EOF"), true)
	fail(codes.Unavailable, fmtWrap(status.Error(codes.Unavailable, "synthetic")), false)
	fail(codes.DeadlineExceeded, status.Error(codes.DeadlineExceeded, "context deadline exceeded"), true)
	fail(codes.DeadlineExceeded, status.Error(codes.DeadlineExceeded, "context deadline exceeded"), false)
	w.Call(okCall())
	r.End(t0.Add(time.Second))
	s := Summarize(r, Meta{})
	want := map[Cause]int64{CausePeerClosed: 1, CauseRetriesExhausted: 1, CauseDeadlineWhileReady: 1, CauseOther: 1}
	if got := s.Connectivity.FailureCauses; !equalMaps(got, want) {
		t.Errorf("failure causes = %v, want %v", got, want)
	}
	if got := s.Connections[0].FailureCauses; s.Connections[0].Index != 1 || !equalMaps(got, want) {
		t.Errorf("connection %d failure causes = %v, want %v", s.Connections[0].Index, got, want)
	}
}

// fmtWrap wraps err as grpc-go wraps the last attempt's status when retries
// run out.
func fmtWrap(err error) error {
	return fmt.Errorf("max retries exhausted: failed after 3 attempts: %w", err)
}

func equalMaps[K comparable](a, b map[K]int64) bool { return maps.Equal(a, b) }
