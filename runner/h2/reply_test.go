package h2

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"testing"

	"golang.org/x/net/http2"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// pingThenAnswer answers a request with three messages, each sent only
// once the PING before it was acknowledged with its data, as a server
// that measures its round trips mid-stream would.
func pingThenAnswer(t *testing.T) func(p *peer, id uint32) {
	return func(p *peer, id uint32) {
		p.headers(id, false, okHeaders)
		for i := range 3 {
			data := [8]byte{7, byte(i)}
			p.fr.WritePing(false, data)
			p.flush()
			if !p.awaitPingAck(data) {
				return
			}
			p.fr.WriteData(id, false, frame(t, &pulsepb.Response{Seq: int64(i + 1)}))
			p.flush()
		}
		p.headers(id, true, okTrailers)
	}
}

// awaitPingAck reads frames until the ACK of the PING with data; false
// when the connection ended first.
func (p *peer) awaitPingAck(data [8]byte) bool {
	for {
		f, err := p.fr.ReadFrame()
		if err != nil {
			return false
		}
		if f, ok := f.(*http2.PingFrame); ok && f.IsAck() && f.Data == data {
			return true
		}
	}
}

// TestPingsAnsweredMidStream: a server's PINGs are acknowledged while a
// stream waits for its answers, whoever writes the ACK: the reader, on a
// socket it writes without waiting (Linux), or the writer, on a Dialer's
// wrapper that cannot; the calls after them see the same.
func TestPingsAnsweredMidStream(t *testing.T) {
	addr := answering(t, pingThenAnswer(t))
	for _, wrap := range []bool{false, true} {
		cfg := Config{Addr: addr}
		if wrap {
			cfg.Dialer = func(ctx context.Context, addr string) (net.Conn, error) {
				nc, err := new(net.Dialer).DialContext(ctx, "tcp", addr)
				return struct{ net.Conn }{nc}, err
			}
		}
		c := dial(t, cfg)
		if _, try := c.nc.(tryWriter); try != (!wrap && runtime.GOOS == "linux") {
			t.Fatalf("wrapped %v: the connection, a %T, writes without waiting: %v", wrap, c.nc, try)
		}
		m := method(t, c, pulsepb.Pulse_ServerStream_FullMethodName)
		for range 3 {
			h := collect(t, c, m, frame(t, &pulsepb.Request{}))
			if h.err != nil || len(h.msgs) != 3 {
				t.Fatalf("wrapped %v: got %d answers, end %v; want 3 and OK", wrap, len(h.msgs), h.err)
			}
		}
		// The reader wrote ACKs itself (an ACK read while the writer
		// still owned the write side is the writer's) only on a socket
		// that writes without waiting. Done ran on the reader after
		// them: collect's wait orders this read after its writes.
		if n := c.r.reply.writes; (n > 0) != (!wrap && runtime.GOOS == "linux") {
			t.Errorf("wrapped %v: the reader wrote replies %d times", wrap, n)
		}
	}
}

// shortConn is a socket whose TryWrite takes at most n bytes, as a nearly
// full socket does.
type shortConn struct {
	net.Conn
	n int
}

func (s *shortConn) TryWrite(p []byte) (int, error) { return s.Conn.Write(p[:min(len(p), s.n)]) }

// TestRepliesLeftToTheWriter: what the socket does not take of the
// reader's replies goes to the buffer, ahead of anything else, and the
// writer is signalled to flush it; the peer reads every frame whole, in
// order.
func TestRepliesLeftToTheWriter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	cfg := Config{}
	cfg.defaults()
	c := newConn(&shortConn{Conn: nc, n: 5}, cfg)
	c.mu.Lock()
	c.queue = append(c.queue, writeOp{kind: opPingAck, ping: [8]byte{7}}, writeOp{kind: opSettingsAck}, writeOp{kind: opRST, id: 3, code: http2.ErrCodeCancel})
	err = c.writeRepliesLocked()
	left := c.bw.Buffered()
	c.mu.Unlock()
	if err != nil || left != 17+9+13-5 {
		t.Fatalf("writeRepliesLocked: %v, %d bytes left in the buffer; want nil, %d", err, left, 17+9+13-5)
	}
	select {
	case <-c.wake:
	default:
		t.Fatal("the writer was not signalled to flush what is left")
	}
	if err := c.bw.Flush(); err != nil { // the writer's part
		t.Fatal(err)
	}
	fr := http2.NewFramer(nil, peer)
	want := []string{"PING ACK 7", "SETTINGS ACK", "RST_STREAM 3 CANCEL"}
	for _, w := range want {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		var got string
		switch f := f.(type) {
		case *http2.PingFrame:
			got = fmt.Sprintf("PING ACK %d", f.Data[0])
		case *http2.SettingsFrame:
			got = "SETTINGS ACK"
		case *http2.RSTStreamFrame:
			got = fmt.Sprintf("RST_STREAM %d %v", f.StreamID, f.ErrCode)
		}
		if got != w {
			t.Fatalf("the peer read %q (%v), want %q", got, f, w)
		}
	}
}
