package conn

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"time"
)

type protocol int

const (
	protoUnknown       protocol = iota
	protoTLS                    // completes a TLS handshake
	protoTLSClientCert          // completes a TLS handshake, then demands a client certificate
	protoH2C                    // answers the HTTP/2 preface with SETTINGS, in the clear
	protoHTTP1                  // answers the HTTP/2 preface with an HTTP/1.x response
)

// maxSniffTime bounds the probes that explain a failed dial.
const maxSniffTime = 1500 * time.Millisecond

// http2Preface is the client connection preface followed by an empty SETTINGS frame.
var http2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")

// probe finds out which protocol the server at addr speaks, over fresh TCP
// connections of its own, trying TLS and cleartext HTTP/2 at once. It is
// only used to explain a failed dial, so it gives up after limit (at most
// maxSniffTime) or when ctx ends, and answers protoUnknown for anything but
// host:port.
func sniff(ctx context.Context, addr string, limit time.Duration) protocol {
	addr = strings.TrimPrefix(addr, "dns:///")
	host, _, err := net.SplitHostPort(addr)
	if err != nil || strings.Contains(addr, "://") {
		return protoUnknown
	}
	if limit <= 0 || limit > maxSniffTime {
		limit = maxSniffTime
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tlsResult, h2Result := make(chan protocol, 1), make(chan protocol, 1)
	go func() { tlsResult <- probeTLS(ctx, addr, host) }()
	go func() { h2Result <- probeH2(ctx, addr) }()
	if p := <-tlsResult; p != protoUnknown {
		return p
	}
	return <-h2Result
}

// dialSniff opens a TCP connection for a probe; the connection gives up when
// ctx ends.
func dialSniff(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	return closeFunc{conn, stop}, nil
}

type closeFunc struct {
	net.Conn
	stop func() bool
}

func (c closeFunc) Close() error {
	c.stop()
	return c.Conn.Close()
}

func probeTLS(ctx context.Context, addr, host string) protocol {
	conn, err := dialSniff(ctx, addr)
	if err != nil {
		return protoUnknown
	}
	defer conn.Close()
	tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, ServerName: host, NextProtos: []string{"h2", "http/1.1"}})
	if tc.HandshakeContext(ctx) != nil {
		return protoUnknown
	}
	// Under TLS 1.3 a server that wants a client certificate says so only
	// after the handshake, in an alert that the first read returns.
	if _, err := tc.Write(http2Preface); err == nil {
		_, err = io.ReadFull(tc, make([]byte, 9))
		if err != nil && (strings.Contains(err.Error(), "certificate required") || strings.Contains(err.Error(), "bad certificate")) {
			return protoTLSClientCert
		}
	}
	return protoTLS
}

func probeH2(ctx context.Context, addr string) protocol {
	conn, err := dialSniff(ctx, addr)
	if err != nil {
		return protoUnknown
	}
	defer conn.Close()
	if _, err := conn.Write(http2Preface); err != nil {
		return protoUnknown
	}
	head := make([]byte, 9)
	if _, err := io.ReadFull(conn, head); err != nil {
		return protoUnknown
	}
	switch {
	case bytes.HasPrefix(head, []byte("HTTP/")):
		return protoHTTP1
	case head[3] == 0x4: // a frame header whose type is SETTINGS
		return protoH2C
	}
	return protoUnknown
}
