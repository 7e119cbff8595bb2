package h2

import (
	"context"
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
	}
}
