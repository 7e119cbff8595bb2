package runner

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/status"
)

// Cause is why a connection could not be made.
type Cause string

// The causes Dial tells apart.
const (
	CauseBadTarget         Cause = "bad_target"
	CauseRefused           Cause = "refused"
	CauseDNS               Cause = "dns"
	CauseTimeout           Cause = "timeout"
	CauseServerIsPlaintext Cause = "tls_to_plaintext"
	CauseServerIsTLS       Cause = "plaintext_to_tls"
	CauseHTTP1             Cause = "http1"
	CauseCertificate       Cause = "certificate"
	CauseClientCert        Cause = "client_certificate"
	CauseTLS               Cause = "tls_handshake"
	CauseOther             Cause = "other"
)

// DialError is a failed connection with its cause, what it means and what to
// do about it.
type DialError struct {
	Addr  string
	Cause Cause
	// Err is what grpc-go reported (a status error, reachable by status.FromError).
	Err error
	// Detail is grpc-go's own description, when it adds to the explanation.
	Detail string
}

func (e *DialError) Error() string {
	msg := fmt.Sprintf("cannot connect to %s: %s", e.Addr, e.explain())
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	if hint := e.Hint(); hint != "" {
		msg += "\n" + hint
	}
	return msg
}

func (e *DialError) Unwrap() error { return e.Err }

func (e *DialError) explain() string {
	switch e.Cause {
	case CauseBadTarget:
		return "the address is not a valid gRPC target"
	case CauseRefused:
		return "connection refused: nothing is listening there"
	case CauseDNS:
		return "the host name does not resolve"
	case CauseTimeout:
		return "no answer within the connect timeout"
	case CauseServerIsPlaintext:
		return "TLS/plaintext mismatch: the server speaks plaintext HTTP/2, but the connection used TLS"
	case CauseServerIsTLS:
		return "TLS/plaintext mismatch: the server expects TLS, but the connection was plaintext (--plaintext)"
	case CauseHTTP1:
		return "the server answered with HTTP/1.x: it is not a gRPC (HTTP/2) server"
	case CauseCertificate:
		return "the server's TLS certificate was not accepted"
	case CauseClientCert:
		return "the server wants a client certificate (mutual TLS) it did not get or did not accept"
	case CauseTLS:
		return "the TLS handshake failed"
	}
	return "the connection failed"
}

// Hint says what to do about the failure.
func (e *DialError) Hint() string {
	switch e.Cause {
	case CauseRefused, CauseDNS:
		return "Check the address and that the server is running."
	case CauseTimeout:
		return "Check the address, that the server is up and that nothing in between drops packets; raise --connect-timeout for a slow server."
	case CauseServerIsPlaintext:
		return "Add --plaintext."
	case CauseServerIsTLS:
		return "Drop --plaintext (with --cacert FILE, or --insecure for a self-signed certificate)."
	case CauseHTTP1:
		return "Check the port; a proxy or load balancer in between must speak HTTP/2 to gRPC backends."
	case CauseCertificate:
		return "Pass --cacert FILE with the CA that signed it, --authority NAME if it was issued for another name, or --insecure to skip verification."
	case CauseClientCert:
		return "Pass --cert FILE and --key FILE with a certificate the server trusts."
	}
	return ""
}

// classify turns grpc-go's last connection error into a DialError, probing
// the address when the error alone cannot tell a TLS/plaintext mismatch.
func classify(ctx context.Context, t Target, err error) *DialError {
	e := &DialError{Addr: t.Addr, Cause: CauseOther, Err: err, Detail: connDetail(err)}
	msg := err.Error()
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("connection refused"):
		e.Cause, e.Detail = CauseRefused, ""
	case has("no such host", "produced zero addresses"):
		e.Cause = CauseDNS
	case has("x509:", "tls: failed to verify certificate"):
		e.Cause = CauseCertificate
	case has("tls: certificate required", "tls: bad certificate", "tls: unknown certificate authority"):
		e.Cause = CauseClientCert
	case has("looked like an HTTP/1.1 header"):
		e.Cause, e.Detail = CauseHTTP1, ""
	case has("authentication handshake failed", "server preface", "EOF", "connection reset", "broken pipe"):
		switch probe(ctx, t.Addr, maxProbeTime) {
		case protoH2C:
			if !t.Plaintext {
				e.Cause, e.Detail = CauseServerIsPlaintext, ""
			}
		case protoTLS:
			if t.Plaintext {
				e.Cause, e.Detail = CauseServerIsTLS, ""
			}
		case protoTLSClientCert:
			e.Cause, e.Detail = CauseClientCert, ""
			if t.Plaintext {
				e.Cause = CauseServerIsTLS
			}
		case protoHTTP1:
			e.Cause, e.Detail = CauseHTTP1, ""
		}
		if e.Cause == CauseOther && has("authentication handshake failed") {
			e.Cause = CauseTLS
		}
	}
	return e
}

// classifyTimeout explains a connection that did not become ready in time;
// a server of the other protocol can keep a connection waiting too.
func classifyTimeout(ctx context.Context, t Target) *DialError {
	e := &DialError{Addr: t.Addr, Cause: CauseTimeout,
		Detail: fmt.Sprintf("waited %s", t.ConnectTimeout)}
	switch p := probe(ctx, t.Addr, t.ConnectTimeout); {
	case p == protoH2C && !t.Plaintext:
		e.Cause, e.Detail = CauseServerIsPlaintext, ""
	case (p == protoTLS || p == protoTLSClientCert) && t.Plaintext:
		e.Cause, e.Detail = CauseServerIsTLS, ""
	case p == protoHTTP1:
		e.Cause, e.Detail = CauseHTTP1, ""
	}
	return e
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
