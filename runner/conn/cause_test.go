package conn

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/event"
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
		want  event.Cause
	}{
		{"ok", codes.OK, "", true, ""},
		{"too_many_pings EOF", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM, debug data: "too_many_pings"`, false, event.CauseTooManyPings},
		{"too_many_pings reset", unavailable, `closing transport due to: connection error: desc = "error reading from server: connection reset by peer", received prior goaway: code: ENHANCE_YOUR_CALM, debug data: "too_many_pings"`, false, event.CauseTooManyPings},
		{"enhance your calm without debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM`, false, event.CauseTooManyPings},
		{"max_age", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"`, false, event.CauseDrainMaxAge},
		{"max_age reset", unavailable, `closing transport due to: connection error: desc = "error reading from server: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", received prior goaway: code: NO_ERROR, debug data: "max_age"`, false, event.CauseDrainMaxAge},
		{"max_idle", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_idle"`, false, event.CauseDrainMaxIdle},
		{"graceful_stop", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "graceful_stop"`, false, event.CauseDrainGracefulStop},
		{"no_error without debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR`, false, event.CauseDrain},
		{"unknown debug", unavailable, `closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "envoy overload"`, false, event.CauseDrain},
		{"connection draining", unavailable, "the connection is draining", true, event.CauseDrain},
		{"stream rejected draining", unavailable, "the stream is rejected because server is draining the connection", false, event.CauseDrain},
		{"keepalive timeout", unavailable, "keepalive ping failed to receive ACK within timeout", false, event.CauseKeepaliveTimeout},
		{"tcp user timeout", unavailable, "error reading from server: connection timed out", false, event.CauseTCPUserTimeout},
		{"tcp user timeout raw-read", unavailable, "error reading from server: raw-read tcp 10.0.0.9:40000->10.0.0.1:50051: read: connection timed out", false, event.CauseTCPUserTimeout},
		{"tcp user timeout read tcp", unavailable, "error reading from server: read tcp 10.0.0.9:40000->10.0.0.1:50051: read: connection timed out", false, event.CauseTCPUserTimeout},
		{"reset", unavailable, "error reading from server: connection reset by peer", false, event.CauseConnectionReset},
		{"reset raw-read", unavailable, "error reading from server: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", false, event.CauseConnectionReset},
		{"reset read tcp", unavailable, "error reading from server: read tcp 127.0.0.1:40000->127.0.0.1:50051: read: connection reset by peer", false, event.CauseConnectionReset},
		{"peer closed", unavailable, "error reading from server: EOF", false, event.CausePeerClosed},
		{"refused", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused"`, false, event.CauseRefused},
		{"refused wait for ready", deadline, `latest balancer error: connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused"`, false, event.CauseRefused},
		{"dial i/o timeout", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: i/o timeout"`, false, event.CauseDialFailed},
		{"dial connect timed out", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: connect: connection timed out"`, false, event.CauseDialFailed},
		{"dial no such host", unavailable, `connection error: desc = "transport: Error while dialing: dial tcp: lookup nosuch.example: no such host"`, false, event.CauseDialFailed},
		{"tls", unavailable, `connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`, false, event.CauseTLSHandshake},
		{"tls certificate", unavailable, `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`, false, event.CauseTLSHandshake},
		{"http/1.1 peer", unavailable, `connection error: desc = "error reading server preface: http2: failed reading the frame payload: http2: frame too large, note that the frame header looked like an HTTP/1.1 header"`, false, event.CauseNotHTTP2},
		{"tls server, plaintext client", unavailable, `connection error: desc = "error reading server preface: http2: frame too large"`, false, event.CauseNotHTTP2},
		{"silent peer raw-read", unavailable, `connection error: desc = "error reading server preface: raw-read tcp 127.0.0.1:40000->127.0.0.1:50051: use of closed network connection"`, false, event.CauseSilentPeerAtConnect},
		{"silent peer read tcp", unavailable, `connection error: desc = "error reading server preface: read tcp 127.0.0.1:40000->127.0.0.1:50051: use of closed network connection"`, false, event.CauseSilentPeerAtConnect},
		{"peer closes at connect", unavailable, `connection error: desc = "error reading server preface: EOF"`, false, event.CauseSilentPeerAtConnect},
		{"retries exhausted", unavailable, "max retries exhausted: failed after 3 attempts: rpc error: code = Unavailable desc = synthetic unavailable from server", false, event.CauseRetriesExhausted},
		{"retries exhausted over a refusal", unavailable, `max retries exhausted: failed after 5 attempts: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`, false, event.CauseRetriesExhausted},
		{"deadline while ready", deadline, "context deadline exceeded", true, event.CauseDeadlineWhileReady},
		{"deadline not ready", deadline, "context deadline exceeded", false, event.CauseOther},
		{"wait for ready timeout", deadline, "context deadline exceeded while waiting for connections to become ready", false, event.CauseOther},
		{"rst_stream", codes.Internal, "stream terminated by RST_STREAM with error code: PROTOCOL_ERROR", true, event.CauseRSTStream},
		{"nginx 504", unavailable, "unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type \"text/html\"\ndata: \"<html>\\r\\n<center>nginx/1.22.1</center>\"", false, event.CauseHTTP504},
		{"nginx 502", unavailable, "unexpected HTTP status code received from server: 502 (Bad Gateway); transport: received unexpected content-type \"text/html\"", false, event.CauseHTTP502},
		// grpc-go 1.85 (and h2) add the start of the body: a proxy's page
		// that quotes its own upstream error is still the proxy's answer.
		{"502 whose body quotes a refusal", unavailable, "unexpected HTTP status code received from server: 502 (Bad Gateway); transport: received unexpected content-type \"text/plain\"\ndata: \"dial tcp 10.0.0.7:50051: connect: connection refused\"", false, event.CauseHTTP502},
		{"503", unavailable, "unexpected HTTP status code received from server: 503 (Service Unavailable)", false, event.CauseHTTP503},
		{"http 403", codes.PermissionDenied, "unexpected HTTP status code received from server: 403 (Forbidden)", false, event.CauseHTTPStatus},
		{"rst internal", codes.Internal, "stream terminated by RST_STREAM with error code: INTERNAL_ERROR", true, event.CauseRSTStreamInternal},
		{"rst cancel", codes.Canceled, "stream terminated by RST_STREAM with error code: CANCEL", true, event.CauseRSTStreamCancel},
		{"no trailers", codes.Internal, "server closed the stream without sending trailers", true, event.CauseNoTrailers},
		{"client closing", codes.Canceled, "grpc: the client connection is closing", true, event.CauseOther},
		{"application error", codes.NotFound, "no such user", true, event.CauseOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := status.Error(tt.code, tt.msg) // nil for OK
			if got := Classify(err, tt.ready); got != tt.want {
				t.Errorf("Classify(%v, %q, %v) = %q, want %q", tt.code, tt.msg, tt.ready, got, tt.want)
			}
		})
	}
}

// A wrapped status error (how grpc-go returns exhausted retries) is read
// with its wrapping text; a plain error is UNKNOWN.
func TestClassifyWrapped(t *testing.T) {
	wrapped := fmt.Errorf("max retries exhausted: failed after 3 attempts: %w", status.Error(codes.Unavailable, "synthetic"))
	if got := Classify(wrapped, false); got != event.CauseRetriesExhausted {
		t.Errorf("wrapped: %q, want %q", got, event.CauseRetriesExhausted)
	}
	if got := Classify(errors.New("error reading from server: EOF"), false); got != event.CausePeerClosed {
		t.Errorf("plain error: %q, want %q", got, event.CausePeerClosed)
	}
	if got := Classify(nil, true); got != "" {
		t.Errorf("nil: %q, want none", got)
	}
}

// Every cause of the table is one of the named ones, so that report keys
// stay within docs/report.md's list.
func TestCauseTableNames(t *testing.T) {
	known := map[event.Cause]bool{}
	for _, c := range []event.Cause{event.CauseTooManyPings, event.CauseDrainMaxAge, event.CauseDrainMaxIdle, event.CauseDrainGracefulStop, event.CauseDrain,
		event.CauseKeepaliveTimeout, event.CauseTCPUserTimeout, event.CauseConnectionReset, event.CausePeerClosed, event.CauseRefused, event.CauseDialFailed,
		event.CauseTLSHandshake, event.CauseNotHTTP2, event.CauseSilentPeerAtConnect, event.CauseRetriesExhausted, event.CauseDeadlineWhileReady,
		event.CauseHTTP502, event.CauseHTTP503, event.CauseHTTP504, event.CauseHTTPStatus, event.CauseRSTStreamInternal, event.CauseRSTStreamCancel, event.CauseRSTStream,
		event.CauseNoTrailers, event.CauseOther} {
		known[c] = true
	}
	for _, c := range []event.Cause{event.CauseBadTarget, event.CauseDNS, event.CauseConnectTimeout, event.CauseServerIsPlaintext, event.CauseServerIsTLS,
		event.CauseCertificate, event.CauseClientCert} {
		if known[c] {
			t.Errorf("dial cause %q is also a call cause", c)
		}
	}
	for _, r := range causeTable {
		if r.call != "" && !known[r.call] {
			t.Errorf("row %q: call cause %q is not a named one", r.texts, r.call)
		}
		if r.call == "" && r.dial == "" {
			t.Errorf("row %q applies to neither side", r.texts)
		}
	}
}

// Dial reads the same table: its finer causes where the text is sure, and
// a request to probe the address where it is not.
func TestDialCause(t *testing.T) {
	tests := []struct {
		name, msg string
		want      event.Cause
		sniff     bool
	}{
		{"refused", `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`, event.CauseRefused, false},
		{"dns", `connection error: desc = "transport: Error while dialing: dial tcp: lookup nosuch.example: no such host"`, event.CauseDNS, false},
		{"no addresses", "name resolver error: produced zero addresses", event.CauseDNS, false},
		{"certificate", `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`, event.CauseCertificate, false},
		{"client certificate", `connection error: desc = "transport: authentication handshake failed: remote error: tls: certificate required"`, event.CauseClientCert, false},
		{"http/1.1", `connection error: desc = "error reading server preface: http2: frame too large, note that the frame header looked like an HTTP/1.1 header"`, event.CauseNotHTTP2, false},
		{"tls handshake", `connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`, event.CauseTLSHandshake, true},
		{"preface", `connection error: desc = "error reading server preface: http2: frame too large"`, event.CauseOther, true},
		{"eof", `connection error: desc = "error reading server preface: EOF"`, event.CauseOther, true},
		{"i/o timeout", `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: i/o timeout"`, event.CauseOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, sniff := dialCause(tt.msg); got != tt.want || sniff != tt.sniff {
				t.Errorf("dialCause(%q) = %q, %v; want %q, %v", tt.msg, got, sniff, tt.want, tt.sniff)
			}
		})
	}
}
