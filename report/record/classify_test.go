package record

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"

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
		want  report.Cause
	}{
		{"ok", codes.OK, "", true, ""},
		{"too_many_pings EOF", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM, debug data: "too_many_pings"`, false, report.CauseTooManyPings},
		{"too_many_pings reset", unavailable, `closing transport due to: connection error: desc = "error reading from server: connection reset by peer", received prior goaway: code: ENHANCE_YOUR_CALM, debug data: "too_many_pings"`, false, report.CauseTooManyPings},
		{"enhance your calm without debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM`, false, report.CauseTooManyPings},
		{"max_age", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"`, false, report.CauseDrainMaxAge},
		{"max_age reset", unavailable, `closing transport due to: connection error: desc = "error reading from server: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", received prior goaway: code: NO_ERROR, debug data: "max_age"`, false, report.CauseDrainMaxAge},
		{"max_idle", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_idle"`, false, report.CauseDrainMaxIdle},
		{"graceful_stop", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "graceful_stop"`, false, report.CauseDrainGracefulStop},
		{"no_error without debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR`, false, report.CauseDrain},
		{"unknown debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "envoy overload"`, false, report.CauseDrain},
		{"connection draining", unavailable, "the connection is draining", true, report.CauseDrain},
		{"stream rejected draining", unavailable, "the stream is rejected because server is draining the connection", false, report.CauseDrain},
		{"keepalive timeout", unavailable, "keepalive ping failed to receive ACK within timeout", false, report.CauseKeepaliveTimeout},
		{"tcp user timeout", unavailable, "error reading from server: connection timed out", false, report.CauseTCPUserTimeout},
		{"tcp user timeout raw-read", unavailable, "error reading from server: raw-read tcp 10.0.0.9:40000->10.0.0.1:50051: read: connection timed out", false, report.CauseTCPUserTimeout},
		{"tcp user timeout read tcp", unavailable, "error reading from server: read tcp 10.0.0.9:40000->10.0.0.1:50051: read: connection timed out", false, report.CauseTCPUserTimeout},
		{"reset", unavailable, "error reading from server: connection reset by peer", false, report.CauseConnectionReset},
		{"reset raw-read", unavailable, "error reading from server: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", false, report.CauseConnectionReset},
		{"reset read tcp", unavailable, "error reading from server: read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", false, report.CauseConnectionReset},
		{"peer closed", unavailable, "error reading from server: EOF", false, report.CausePeerClosed},
		{"refused", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused"`, false, report.CauseRefused},
		{"refused wait for ready", deadline, `latest balancer error: connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused"`, false, report.CauseRefused},
		{"dial i/o timeout", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: i/o timeout"`, false, report.CauseDialFailed},
		{"dial connect timed out", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: connect: connection timed out"`, false, report.CauseDialFailed},
		{"dial no such host", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp: lookup nosuch.example: no such host"`, false, report.CauseDialFailed},
		{"tls", unavailable, `connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`, false, report.CauseTLSHandshake},
		{"tls certificate", unavailable, `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`, false, report.CauseTLSHandshake},
		{"http/1.1 peer", unavailable, `connection error: desc = "error reading server preface: http2: failed reading the frame payload: http2: frame too large, note that the frame header looked like an HTTP/1.1 header"`, false, report.CauseNotHTTP2},
		{"tls server, plaintext client", unavailable, `connection error: desc = "error reading server preface: http2: frame too large"`, false, report.CauseNotHTTP2},
		{"silent peer raw-read", unavailable, `connection error: desc = "error reading server preface: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: use of closed network connection"`, false, report.CauseSilentPeerAtConnect},
		{"silent peer read tcp", unavailable, `connection error: desc = "error reading server preface: read tcp 127.0.0.1:40000->127.0.0.1:50051: use of closed network connection"`, false, report.CauseSilentPeerAtConnect},
		{"peer closes at connect", unavailable, `connection error: desc = "error reading server preface: EOF"`, false, report.CauseSilentPeerAtConnect},
		{"retries exhausted", unavailable, "max retries exhausted: failed after 3 attempts: rpc error: code = Unavailable desc = synthetic unavailable from server", false, report.CauseRetriesExhausted},
		{"retries exhausted over a refusal", unavailable, `max retries exhausted: failed after 5 attempts: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`, false, report.CauseRetriesExhausted},
		{"deadline while ready", deadline, "context deadline exceeded", true, report.CauseDeadlineWhileReady},
		{"deadline not ready", deadline, "context deadline exceeded", false, report.CauseOther},
		{"wait for ready timeout", deadline, "context deadline exceeded while waiting for connections to become ready", false, report.CauseOther},
		{"rst_stream", codes.Internal, "stream terminated by RST_STREAM with error code: PROTOCOL_ERROR", true, report.CauseRSTStream},
		{"nginx 504", unavailable, "unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type \"text/html\"\ndata: \"<html>\\r\\n<center>nginx/1.22.1</center>\"", false, report.CauseHTTP504},
		{"nginx 502", unavailable, "unexpected HTTP status code received from server: 502 (Bad Gateway); transport: received unexpected content-type \"text/html\"", false, report.CauseHTTP502},
		{"503", unavailable, "unexpected HTTP status code received from server: 503 (Service Unavailable)", false, report.CauseHTTP503},
		{"http 403", codes.PermissionDenied, "unexpected HTTP status code received from server: 403 (Forbidden)", false, report.CauseHTTPStatus},
		{"rst internal", codes.Internal, "stream terminated by RST_STREAM with error code: INTERNAL_ERROR", true, report.CauseRSTStreamInternal},
		{"rst cancel", codes.Canceled, "stream terminated by RST_STREAM with error code: CANCEL", true, report.CauseRSTStreamCancel},
		{"no trailers", codes.Internal, "server closed the stream without sending trailers", true, report.CauseNoTrailers},
		{"client closing", codes.Canceled, "grpc: the client connection is closing", true, report.CauseOther},
		{"application error", codes.NotFound, "no such user", true, report.CauseOther},
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
	s := summarize(r, Meta{})
	want := map[report.Cause]int64{report.CausePeerClosed: 1, report.CauseRetriesExhausted: 1, report.CauseDeadlineWhileReady: 1, report.CauseOther: 1}
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
