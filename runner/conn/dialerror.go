package conn

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// DialError is a failed connection with its cause, what it means and what to
// do about it.
type DialError struct {
	Addr string
	// Cause is one of CauseBadTarget, CauseRefused, CauseDNS,
	// CauseConnectTimeout, CauseServerIsPlaintext, CauseServerIsTLS,
	// CauseNotHTTP2 (an HTTP/1.x server), CauseCertificate,
	// CauseClientCert, CauseTLSHandshake or CauseOther.
	Cause event.Cause
	// Err is what grpc-go reported (a status error, reachable by status.FromError).
	Err error
	// Detail is grpc-go's own description, when it adds to the explanation.
	Detail string
}

func (e *DialError) Error() string {
	msg := fmt.Sprintf("cannot connect to %s: %s", plan.RedactTarget(e.Addr), e.explain())
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	if hint := e.Hint(); hint != "" {
		msg += "\n" + hint
	}
	if userinfo, ok := plan.TargetUserinfo(e.Addr); ok {
		msg = strings.ReplaceAll(msg, userinfo, "REDACTED") // grpc-go's detail may quote the target
	}
	return msg
}

func (e *DialError) Unwrap() error { return e.Err }

func (e *DialError) explain() string {
	switch e.Cause {
	case event.CauseBadTarget:
		return "the address is not a valid gRPC target"
	case event.CauseRefused:
		return "connection refused: nothing is listening there"
	case event.CauseDNS:
		return "the host name does not resolve"
	case event.CauseConnectTimeout:
		return "no answer within the connect timeout"
	case event.CauseServerIsPlaintext:
		return "TLS/plaintext mismatch: the server speaks plaintext HTTP/2, but the connection used TLS"
	case event.CauseServerIsTLS:
		return "TLS/plaintext mismatch: the server expects TLS, but the connection was plaintext (--plaintext)"
	case event.CauseNotHTTP2:
		return "the server answered with HTTP/1.x: it is not a gRPC (HTTP/2) server"
	case event.CauseCertificate:
		return "the server's TLS certificate was not accepted"
	case event.CauseClientCert:
		return "the server wants a client certificate (mutual TLS) it did not get or did not accept"
	case event.CauseTLSHandshake:
		return "the TLS handshake failed"
	}
	return "the connection failed"
}

// Hint says what to do about the failure.
func (e *DialError) Hint() string {
	switch e.Cause {
	case event.CauseRefused, event.CauseDNS:
		return "Check the address and that the server is running."
	case event.CauseConnectTimeout:
		return "Check the address, that the server is up and that nothing in between drops packets; raise --connect-timeout for a slow server."
	case event.CauseServerIsPlaintext:
		return "Add --plaintext."
	case event.CauseServerIsTLS:
		return "Drop --plaintext (with --cacert FILE, or --insecure for a self-signed certificate)."
	case event.CauseNotHTTP2:
		return "Check the port; a proxy or load balancer in between must speak HTTP/2 to gRPC backends."
	case event.CauseCertificate:
		return "Pass --cacert FILE with the CA that signed it, --authority NAME if it was issued for another name, or --insecure to skip verification."
	case event.CauseClientCert:
		return "Pass --cert FILE and --key FILE with a certificate the server trusts."
	}
	return ""
}

// classifyDial turns grpc-go's last connection error into a DialError: the
// dial side of causeTable names the cause, probing the address when the
// text alone cannot tell a TLS/plaintext mismatch or an HTTP/1 server.
func classifyDial(ctx context.Context, t plan.Target, err error) *DialError {
	e := &DialError{Addr: t.Addr, Err: err, Detail: connDetail(err)}
	cause, ambiguous := dialCause(err.Error())
	if ambiguous {
		if c := mismatch(sniff(ctx, t.Addr, maxSniffTime), t.Plaintext); c != "" {
			cause, e.Detail = c, ""
		}
	}
	if cause == event.CauseRefused || cause == event.CauseNotHTTP2 {
		e.Detail = "" // the explanation says it all
	}
	e.Cause = cause
	return e
}

// classifyTimeout explains a connection that did not become ready in time;
// a server of the other protocol can keep a connection waiting too.
func classifyTimeout(ctx context.Context, t plan.Target) *DialError {
	e := &DialError{Addr: t.Addr, Cause: event.CauseConnectTimeout,
		Detail: fmt.Sprintf("waited %s", t.ConnectTimeout)}
	if c := mismatch(sniff(ctx, t.Addr, t.ConnectTimeout), t.Plaintext); c != "" && c != event.CauseClientCert {
		e.Cause, e.Detail = c, ""
	}
	return e
}

// mismatch is the cause a sniffed protocol p explains for a client that
// connected with (plaintext) or without TLS; "" when it explains nothing.
func mismatch(p protocol, plaintext bool) event.Cause {
	switch {
	case p == protoH2C && !plaintext:
		return event.CauseServerIsPlaintext
	case (p == protoTLS || p == protoTLSClientCert) && plaintext:
		return event.CauseServerIsTLS
	case p == protoTLSClientCert:
		return event.CauseClientCert
	case p == protoHTTP1:
		return event.CauseNotHTTP2
	}
	return ""
}

// connDetail strips grpc-go's wrapping from a connection error, leaving the
// words that name the failure.
func connDetail(err error) string {
	msg := err.Error()
	if s, ok := status.FromError(err); ok {
		msg = s.Message()
	}
	msg = strings.TrimPrefix(msg, "connection error: desc = ")
	return strings.Trim(msg, `"`)
}
