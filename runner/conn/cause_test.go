package conn

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
		{"rst_stream", codes.Internal, "stream terminated by RST_STREAM with error code: PROTOCOL_ERROR", true, CauseRSTStream},
		{"nginx 504", unavailable, "unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type \"text/html\"\ndata: \"<html>\\r\\n<center>nginx/1.22.1</center>\"", false, CauseHTTP504},
		{"nginx 502", unavailable, "unexpected HTTP status code received from server: 502 (Bad Gateway); transport: received unexpected content-type \"text/html\"", false, CauseHTTP502},
		{"503", unavailable, "unexpected HTTP status code received from server: 503 (Service Unavailable)", false, CauseHTTP503},
		{"http 403", codes.PermissionDenied, "unexpected HTTP status code received from server: 403 (Forbidden)", false, CauseHTTPStatus},
		{"rst internal", codes.Internal, "stream terminated by RST_STREAM with error code: INTERNAL_ERROR", true, CauseRSTStreamInternal},
		{"rst cancel", codes.Canceled, "stream terminated by RST_STREAM with error code: CANCEL", true, CauseRSTStreamCancel},
		{"no trailers", codes.Internal, "server closed the stream without sending trailers", true, CauseNoTrailers},
		{"client closing", codes.Canceled, "grpc: the client connection is closing", true, CauseOther},
		{"application error", codes.NotFound, "no such user", true, CauseOther},
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
	if got := Classify(wrapped, false); got != CauseRetriesExhausted {
		t.Errorf("wrapped: %q, want %q", got, CauseRetriesExhausted)
	}
	if got := Classify(errors.New("error reading from server: EOF"), false); got != CausePeerClosed {
		t.Errorf("plain error: %q, want %q", got, CausePeerClosed)
	}
	if got := Classify(nil, true); got != "" {
		t.Errorf("nil: %q, want none", got)
	}
}

// Every cause of the table is one of the named ones, so that report keys
// stay within docs/report.md's list.
func TestCauseTableNames(t *testing.T) {
	known := map[Cause]bool{}
	for _, c := range []Cause{CauseTooManyPings, CauseDrainMaxAge, CauseDrainMaxIdle, CauseDrainGracefulStop, CauseDrain,
		CauseKeepaliveTimeout, CauseTCPUserTimeout, CauseConnectionReset, CausePeerClosed, CauseRefused, CauseDialFailed,
		CauseTLSHandshake, CauseNotHTTP2, CauseSilentPeerAtConnect, CauseRetriesExhausted, CauseDeadlineWhileReady,
		CauseHTTP502, CauseHTTP503, CauseHTTP504, CauseHTTPStatus, CauseRSTStreamInternal, CauseRSTStreamCancel, CauseRSTStream,
		CauseNoTrailers, CauseOther} {
		known[c] = true
	}
	for _, c := range []Cause{CauseBadTarget, CauseDNS, CauseConnectTimeout, CauseServerIsPlaintext, CauseServerIsTLS,
		CauseCertificate, CauseClientCert} {
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
		want      Cause
		sniff     bool
	}{
		{"refused", `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`, CauseRefused, false},
		{"dns", `connection error: desc = "transport: Error while dialing: dial tcp: lookup nosuch.example: no such host"`, CauseDNS, false},
		{"no addresses", "name resolver error: produced zero addresses", CauseDNS, false},
		{"certificate", `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`, CauseCertificate, false},
		{"client certificate", `connection error: desc = "transport: authentication handshake failed: remote error: tls: certificate required"`, CauseClientCert, false},
		{"http/1.1", `connection error: desc = "error reading server preface: http2: frame too large, note that the frame header looked like an HTTP/1.1 header"`, CauseNotHTTP2, false},
		{"tls handshake", `connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`, CauseTLSHandshake, true},
		{"preface", `connection error: desc = "error reading server preface: http2: frame too large"`, CauseOther, true},
		{"eof", `connection error: desc = "error reading server preface: EOF"`, CauseOther, true},
		{"i/o timeout", `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: i/o timeout"`, CauseOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, sniff := dialCause(tt.msg); got != tt.want || sniff != tt.sniff {
				t.Errorf("dialCause(%q) = %q, %v; want %q, %v", tt.msg, got, sniff, tt.want, tt.sniff)
			}
		})
	}
}
