package h2

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// peer is the server side of one connection to a hand-written HTTP/2
// server: tests drive the frames themselves.
type peer struct {
	t   testing.TB
	nc  net.Conn
	fr  *http2.Framer
	bw  *bufio.Writer
	enc *hpack.Encoder
	buf bytes.Buffer
	dec *hpack.Decoder
}

// startPeer listens on 127.0.0.1:0 and runs serve for each accepted
// connection (after the preface) in its own goroutine. The listener and
// connections close when the test ends.
func startPeer(t testing.TB, settings []http2.Setting, serve func(p *peer)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { nc.Close() })
			go func() {
				defer nc.Close()
				p := &peer{t: t, nc: nc, bw: bufio.NewWriter(nc)}
				p.fr = http2.NewFramer(p.bw, nc)
				p.enc = hpack.NewEncoder(&p.buf)
				p.dec = hpack.NewDecoder(4096, nil)
				preface := make([]byte, len(http2.ClientPreface))
				if _, err := io.ReadFull(nc, preface); err != nil || string(preface) != http2.ClientPreface {
					return
				}
				p.fr.WriteSettings(settings...)
				p.flush()
				serve(p)
			}()
		}
	}()
	return ln.Addr().String()
}

func (p *peer) flush() { p.bw.Flush() }

// answering starts a peer that answers each request with serve and
// flushes; it returns the peer's address.
func answering(t testing.TB, serve func(p *peer, id uint32)) string {
	return startPeer(t, nil, func(p *peer) {
		for {
			id := p.readRequest()
			if id == 0 {
				return
			}
			serve(p, id)
			p.flush()
		}
	})
}

// block HPACK-encodes fields with the peer's encoder.
func (p *peer) block(fields ...HeaderField) []byte {
	p.buf.Reset()
	for _, f := range fields {
		p.enc.WriteField(f)
	}
	return append([]byte(nil), p.buf.Bytes()...)
}

// readRequest reads frames until a request's HEADERS (acking SETTINGS on
// the way) and returns its stream ID; 0 when the connection ended.
func (p *peer) readRequest() uint32 {
	id, _ := p.readRequestHeaders()
	return id
}

// readRequestHeaders is readRequest that also returns the request's
// header fields.
func (p *peer) readRequestHeaders() (uint32, []HeaderField) {
	f := p.readHeaders()
	if f == nil {
		return 0, nil
	}
	fields, _ := p.dec.DecodeFull(f.HeaderBlockFragment())
	return f.StreamID, fields
}

// readHeaders reads frames until a HEADERS frame, acking SETTINGS on the
// way; nil when the connection ended.
func (p *peer) readHeaders() *http2.HeadersFrame {
	for {
		f, err := p.fr.ReadFrame()
		if err != nil {
			return nil
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				p.fr.WriteSettingsAck()
				p.flush()
			}
		case *http2.HeadersFrame:
			return f
		}
	}
}

// respond writes response headers, one message and OK trailers on id.
func (p *peer) respond(id uint32, msg []byte) {
	p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true,
		BlockFragment: p.block(HeaderField{Name: ":status", Value: "200"}, HeaderField{Name: "content-type", Value: "application/grpc"})})
	p.fr.WriteData(id, false, msg)
	p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, EndStream: true,
		BlockFragment: p.block(HeaderField{Name: "grpc-status", Value: "0"})})
	p.flush()
}

// drain reads and discards frames until the connection ends.
func (p *peer) drain() {
	for {
		if _, err := p.fr.ReadFrame(); err != nil {
			return
		}
	}
}

// goAwayAfterThree reads three requests, sends GOAWAY with the second's
// stream ID as last_stream_id, answers the first two, and drains.
func goAwayAfterThree(p *peer) {
	var ids []uint32
	for len(ids) < 3 {
		id := p.readRequest()
		if id == 0 {
			return
		}
		ids = append(ids, id)
	}
	p.fr.WriteGoAway(ids[1], http2.ErrCodeNo, []byte("bye"))
	p.respond(ids[0], []byte{0, 0, 0, 0, 0})
	p.respond(ids[1], []byte{0, 0, 0, 0, 0})
	p.drain()
}
