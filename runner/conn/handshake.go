package conn

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// handshake times the steps of one connection to t over its own socket:
// TCP connect, TLS handshake (offering h2), and the HTTP/2 preface answered
// by the server's SETTINGS. It works on host:port targets only.
func handshake(ctx context.Context, t plan.Target) (event.HandshakeTimes, error) {
	var times event.HandshakeTimes
	addr := t.Addr
	if addrs := t.Addresses(); addrs != nil {
		addr = addrs[0]
	}
	if !plan.IsHostPort(addr) {
		return times, fmt.Errorf("timing the handshake needs a host:port target, not %q", addr)
	}
	if t.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.ConnectTimeout)
		defer cancel()
	}
	start := time.Now()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return times, fmt.Errorf("TCP connect: %w", err)
	}
	defer raw.Close()
	times.TCP = time.Since(start)
	if deadline, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	var conn net.Conn = raw
	if !t.Plaintext {
		cfg, err := tlsConfig(ctx, t)
		if err != nil {
			return times, err
		}
		cfg.NextProtos = []string{"h2"}
		if cfg.ServerName == "" {
			cfg.ServerName = t.Authority
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		start = time.Now()
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return times, fmt.Errorf("TLS handshake: %w", err)
		}
		times.TLS = time.Since(start)
		conn = tc
	}
	start = time.Now()
	if _, err := conn.Write(http2Preface); err != nil {
		return times, fmt.Errorf("HTTP/2 preface: %w", err)
	}
	head := make([]byte, 9)
	if _, err := io.ReadFull(conn, head); err != nil {
		return times, fmt.Errorf("HTTP/2 preface: no answer: %w", err)
	}
	if head[3] != 0x4 {
		return times, fmt.Errorf("HTTP/2 preface: the server answered with frame type %d, not SETTINGS", head[3])
	}
	times.HTTP2 = time.Since(start)
	return times, nil
}
