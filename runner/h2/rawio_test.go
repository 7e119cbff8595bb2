//go:build linux

package h2

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// tcpPair is a client and a server end of a TCP connection on loopback.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	return socketPair(t, "tcp", "127.0.0.1:0")
}

func socketPair(t *testing.T, network, addr string) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// errText is err's text with the connection's addresses named, so that
// two connections' errors compare.
func errText(c net.Conn, err error) string {
	if err == nil {
		return "<nil>"
	}
	s := strings.ReplaceAll(err.Error(), c.LocalAddr().String(), "LOCAL")
	return strings.ReplaceAll(s, c.RemoteAddr().String(), "REMOTE")
}

func TestRawConnIsUsedForSockets(t *testing.T) {
	c, _ := tcpPair(t)
	rc, ok := RawConn(c).(*rawConn)
	if !ok {
		t.Fatalf("RawConn(TCP) = %T, want *rawConn", RawConn(c))
	}
	if again := RawConn(rc); again != net.Conn(rc) {
		t.Errorf("RawConn(RawConn(c)) = %T, want the rawConn itself", again)
	}
	u, _ := socketPair(t, "unix", filepath.Join(t.TempDir(), "s"))
	if _, ok := RawConn(u).(*rawConn); !ok {
		t.Errorf("RawConn(unix) = %T, want *rawConn", RawConn(u))
	}
	p, q := net.Pipe()
	defer q.Close()
	if got := RawConn(p); got != p {
		t.Errorf("RawConn(net.Pipe) = %T, want the conn itself", got)
	}
	// A wrapper with Read and Write of its own keeps them, though the
	// socket it embeds has a descriptor.
	w := &countingConn{TCPConn: c.(*net.TCPConn)}
	if got := RawConn(w); got != net.Conn(w) {
		t.Errorf("RawConn(a wrapper of a TCPConn) = %T, want the wrapper itself", got)
	}
	// Dial's connection, plaintext and TLS (under it), and a Dialer's.
	srv := startServer(t)
	for name, cfg := range map[string]Config{
		"h2c": {Addr: srv.Addr()},
		"Dialer": {Addr: srv.Addr(), Dialer: func(ctx context.Context, addr string) (net.Conn, error) {
			return new(net.Dialer).DialContext(ctx, "tcp", addr)
		}},
	} {
		conn, err := Dial(testCtx(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := conn.nc.(*rawConn); !ok {
			t.Errorf("%s: Dial's connection is a %T, want *rawConn", name, conn.nc)
		}
		conn.Close()
	}
	// A Dialer's wrapper reads every byte (the server's SETTINGS first).
	var wrapped *countingConn
	conn, err := Dial(testCtx(t), Config{Addr: srv.Addr(), Dialer: func(ctx context.Context, addr string) (net.Conn, error) {
		nc, err := new(net.Dialer).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		wrapped = &countingConn{TCPConn: nc.(*net.TCPConn)}
		return wrapped, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if conn.nc != net.Conn(wrapped) || wrapped.reads.Load() == 0 {
		t.Errorf("Dial's connection is a %T and the wrapper read %d times; want the wrapper, reading", conn.nc, wrapped.reads.Load())
	}
}

// countingConn is a Dialer's wrapper of a socket that sees its bytes.
type countingConn struct {
	*net.TCPConn
	reads atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.TCPConn.Read(p)
}

// TestRawIOReadsLikeNetConn reads the same situations through net.Conn and
// through rawIO: the bytes and the errors (text, errors.Is, Timeout) match.
func TestRawIOReadsLikeNetConn(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, client, server net.Conn)
		want  error // errors.Is of the last read's error
	}{
		{"data then EOF", func(t *testing.T, _, s net.Conn) {
			s.Write([]byte("hello"))
			s.Close()
		}, io.EOF},
		{"reset by the peer", func(t *testing.T, _, s net.Conn) {
			s.Write([]byte("hello"))
			s.(*net.TCPConn).SetLinger(0)
			s.Close()
		}, syscall.ECONNRESET},
		{"closed here", func(t *testing.T, c, _ net.Conn) { c.Close() }, net.ErrClosed},
		{"deadline", func(t *testing.T, c, _ net.Conn) { c.SetReadDeadline(time.Now().Add(-time.Second)) }, os.ErrDeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]string
			for i, raw := range []bool{false, true} {
				c, s := tcpPair(t)
				var r io.Reader = c
				if raw {
					r = newRawIO(c)
				}
				tc.setup(t, c, s)
				var data []byte
				buf := make([]byte, 3)
				var err error
				for err == nil {
					var n int
					n, err = r.Read(buf)
					data = append(data, buf[:n]...)
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("raw %v: error %v, want %v", raw, err, tc.want)
				}
				var ne net.Error
				if timeout := errors.As(err, &ne) && ne.Timeout(); timeout != (tc.want == os.ErrDeadlineExceeded) {
					t.Errorf("raw %v: Timeout() = %v for %v", raw, timeout, err)
				}
				got[i] = string(data) + " | " + errText(c, err)
			}
			if got[0] != got[1] {
				t.Errorf("net.Conn: %q\nrawIO:    %q", got[0], got[1])
			}
		})
	}
}

func TestRawIOWritesLikeNetConn(t *testing.T) {
	cases := []struct {
		name  string
		setup func(c net.Conn)
		want  error
	}{
		{"closed here", func(c net.Conn) { c.Close() }, net.ErrClosed},
		{"deadline", func(c net.Conn) { c.SetWriteDeadline(time.Now().Add(-time.Second)) }, os.ErrDeadlineExceeded},
	}
	writes := []struct {
		name  string
		write func(c net.Conn, p []byte) (int, error)
	}{
		{"net.Conn", func(c net.Conn, p []byte) (int, error) { return c.Write(p) }},
		{"rawIO.Write", func(c net.Conn, p []byte) (int, error) { return newRawIO(c).Write(p) }},
		{"rawIO.TryWrite", func(c net.Conn, p []byte) (int, error) { return newRawIO(c).TryWrite(p) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, w := range writes {
				c, _ := tcpPair(t)
				tc.setup(c)
				n, err := w.write(c, []byte("hello"))
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: error %v, want %v", w.name, err, tc.want)
				}
				got = append(got, errText(c, err)+" "+string(rune('0'+n)))
			}
			for i := range got[1:] {
				if got[i+1] != got[0] {
					t.Errorf("net.Conn: %q\n%s: %q", got[0], writes[i+1].name, got[i+1])
				}
			}
		})
	}
}

// TestRawIOTryWrite: TryWrite takes what the socket holds of a write
// larger than its buffers and returns at once, without an error, while
// the peer reads nothing; the peer then reads those bytes and no more.
func TestRawIOTryWrite(t *testing.T) {
	c, s := tcpPair(t)
	rw := newRawIO(c)
	msg := bytes.Repeat([]byte("0123456789abcdef"), 1<<22) // 64 MiB, more than loopback buffers hold
	n, err := rw.TryWrite(msg)
	if err != nil || n == 0 || n == len(msg) {
		t.Fatalf("TryWrite = %d, %v; want part of %d, nil", n, err, len(msg))
	}
	more, err := rw.TryWrite(msg[n:])
	if err != nil || n+more == len(msg) {
		t.Fatalf("second TryWrite = %d, %v; want what room was left, nil", more, err)
	}
	n += more
	got := make([]byte, n)
	if _, err := io.ReadFull(s, got); err != nil || !bytes.Equal(got, msg[:n]) {
		t.Fatalf("the peer read %v, or other bytes than the %d written", err, n)
	}
	c.Close()
	if rest, err := io.ReadAll(s); len(rest) > 0 || err != nil {
		t.Errorf("the peer read %d bytes more (%v), want none", len(rest), err)
	}
}

// TestRawIOWriteToResetPeer: the error names the write and the reset (or
// the broken pipe that follows it), as net.Conn's does.
func TestRawIOWriteToResetPeer(t *testing.T) {
	c, s := tcpPair(t)
	s.(*net.TCPConn).SetLinger(0)
	s.Close()
	// The reset arrives with the first write's answer at the latest.
	w := newRawIO(c)
	var err error
	for range 100 {
		if _, err = w.Write([]byte("hello")); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("error %v, want a reset or a broken pipe", err)
	}
	if prefix := "write tcp LOCAL->REMOTE: write: "; !strings.HasPrefix(errText(c, err), prefix) {
		t.Errorf("error %q, want it to start %q", errText(c, err), prefix)
	}
}

// TestRawIOLongWrite writes more than the socket takes at once: the write
// waits for the peer to read and every byte arrives in order.
func TestRawIOLongWrite(t *testing.T) {
	c, s := tcpPair(t)
	msg := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, len(msg))
		n, _ := io.ReadFull(s, b)
		got <- b[:n]
	}()
	n, err := newRawIO(c).Write(msg)
	if err != nil || n != len(msg) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(msg))
	}
	if b := <-got; !bytes.Equal(b, msg) {
		t.Errorf("the peer read %d bytes, not the %d written", len(b), len(msg))
	}
}

// TestRawIOUnixSocket reads and writes through a Unix socket.
func TestRawIOUnixSocket(t *testing.T) {
	c, s := socketPair(t, "unix", filepath.Join(t.TempDir(), "s"))
	rw := newRawIO(c)
	if _, err := rw.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(s, b); err != nil || string(b) != "ping" {
		t.Fatalf("server read %q, %v", b, err)
	}
	s.Write([]byte("pong"))
	s.Close()
	got, err := io.ReadAll(rw)
	if err != nil || string(got) != "pong" {
		t.Errorf("client read %q, %v; want pong", got, err)
	}
}
