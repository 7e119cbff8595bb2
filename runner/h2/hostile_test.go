package h2

import (
	"encoding/binary"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

func hf(kv ...string) []HeaderField { return md(kv...) }

var (
	okHeaders  = hf(":status", "200", "content-type", "application/grpc")
	okTrailers = hf("grpc-status", "0")
)

func (p *peer) headers(id uint32, end bool, fields []HeaderField) {
	p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, EndStream: end, BlockFragment: p.block(fields...)})
}

// msg is a gRPC message prefix claiming n bytes, followed by body.
func msg(flag byte, n uint32, body string) []byte {
	b := []byte{flag, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], n)
	return append(b, body...)
}

// TestServerAnswers: each server answer gets the status grpc-go gives it.
func TestServerAnswers(t *testing.T) {
	tests := []struct {
		name  string
		serve func(p *peer, id uint32)
		code  codes.Code
		msg   string // a substring of the status message
	}{
		{"trailers-only", func(p *peer, id uint32) {
			p.headers(id, true, hf(":status", "200", "content-type", "application/grpc", "grpc-status", "5", "grpc-message", "gone%20away%zz"))
		}, codes.NotFound, "gone away%zz"},
		{"missing grpc-status", func(p *peer, id uint32) {
			p.headers(id, false, okHeaders)
			p.fr.WriteData(id, false, msg(0, 0, ""))
			p.headers(id, true, hf("x-other", "1"))
		}, codes.Unknown, ""},
		{"malformed grpc-status", func(p *peer, id uint32) {
			p.headers(id, true, hf(":status", "200", "content-type", "application/grpc", "grpc-status", "abc"))
		}, codes.Unknown, "malformed grpc-status"},
		{"HTTP 503 html", func(p *peer, id uint32) {
			p.headers(id, true, hf(":status", "503", "content-type", "text/html"))
		}, codes.Unavailable, `unexpected HTTP status code received from server: 503 (Service Unavailable); transport: received unexpected content-type "text/html"`},
		{"HTTP 404 no content-type", func(p *peer, id uint32) {
			p.headers(id, false, hf(":status", "404"))
			p.fr.WriteData(id, true, []byte("not found"))
		}, codes.Unimplemented, "malformed header: missing HTTP content-type"},
		{"HTTP 200 without content-type", func(p *peer, id uint32) {
			p.headers(id, true, hf(":status", "200"))
		}, codes.Unknown, "200 (OK)"},
		{"compressed response", func(p *peer, id uint32) {
			p.headers(id, false, hf(":status", "200", "content-type", "application/grpc", "grpc-encoding", "gzip"))
			p.fr.WriteData(id, false, msg(1, 3, "abc"))
			p.headers(id, true, okTrailers)
		}, codes.Unimplemented, `Decompressor is not installed for grpc-encoding "gzip"`},
		{"lying message length", func(p *peer, id uint32) {
			p.headers(id, false, okHeaders)
			p.fr.WriteData(id, false, msg(0, 0xFFFFFFFF, "short"))
		}, codes.ResourceExhausted, "grpc: received message larger than max (4294967295 vs. 4194304)"},
		{"truncated message", func(p *peer, id uint32) {
			p.headers(id, false, okHeaders)
			p.fr.WriteData(id, false, msg(0, 100, "only ten b"))
			p.headers(id, true, okTrailers)
		}, codes.Internal, "unexpected EOF"},
		{"no message", func(p *peer, id uint32) {
			p.headers(id, false, okHeaders)
			p.headers(id, true, okTrailers)
		}, codes.Internal, "cardinality violation: received no response message"},
		{"two messages", func(p *peer, id uint32) {
			p.headers(id, false, okHeaders)
			p.fr.WriteData(id, false, append(msg(0, 1, "a"), msg(0, 1, "b")...))
			p.headers(id, true, okTrailers)
		}, codes.Internal, "cardinality violation: expected <EOF>"},
		{"headers mid-stream", func(p *peer, id uint32) {
			p.headers(id, false, okHeaders)
			p.headers(id, false, hf("x-again", "1"))
		}, codes.Internal, "a HEADERS frame cannot appear in the middle of a stream"},
		{"RST_STREAM", func(p *peer, id uint32) {
			p.fr.WriteRSTStream(id, http2.ErrCodeEnhanceYourCalm)
		}, codes.ResourceExhausted, "stream terminated by RST_STREAM with error code: ENHANCE_YOUR_CALM"},
		{"stream window overflow", func(p *peer, id uint32) {
			p.fr.WriteWindowUpdate(id, 1<<31-1)
			p.fr.WriteWindowUpdate(id, 1<<31-1)
		}, codes.Internal, "overflowed the stream's window"},
		{"DATA past the stream window", func(p *peer, id uint32) {
			p.headers(id, false, okHeaders)
			p.fr.WriteData(id, false, msg(0, 20000, strings.Repeat("x", 16000)))
			p.fr.WriteData(id, false, []byte(strings.Repeat("x", 4000)))
		}, codes.Internal, "exceeds the stream's flow control window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := answering(t, tt.serve)
			failsTwice(t, dial(t, Config{Addr: addr, InitialWindowSize: 8192}), tt.code, tt.msg)
		})
	}
}

// failsTwice makes two unary calls on c that must each fail with code and
// a message containing text, and the connection must survive them.
func failsTwice(t *testing.T, c *Conn, code codes.Code, text string) {
	t.Helper()
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	for range 2 {
		resp, err := c.Unary(testCtx(t), m, msg(0, 0, ""), nil)
		resp.Release()
		var se *StatusError
		if !errors.As(err, &se) || se.Code != code || !strings.Contains(se.Message, text) {
			t.Fatalf("got %v, want %v containing %q", err, code, text)
		}
	}
	if err := c.Err(); err != nil {
		t.Fatalf("connection failed: %v", err)
	}
}

// TestHostileConnection: what a server does to the whole connection ends
// it with a clear error, bounded, never a hang.
func TestHostileConnection(t *testing.T) {
	tests := []struct {
		name  string
		serve func(p *peer, id uint32)
		err   string // a substring of the connection's error
	}{
		{"endless CONTINUATION", func(p *peer, id uint32) {
			p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.block(okHeaders...)})
			chunk := []byte(strings.Repeat("\x88", 16000)) // :status 200, indexed, over and over
			for {
				if p.fr.WriteContinuation(id, false, chunk) != nil || p.bw.Flush() != nil {
					return
				}
			}
		}, "header block over"},
		{"frame longer than MAX_FRAME_SIZE", func(p *peer, id uint32) {
			p.bw.Write([]byte{0x10, 0, 0, byte(http2.FrameData), 0, 0, 0, 0, byte(id)})
			p.flush()
		}, "frame too large"},
		{"frame cut short", func(p *peer, id uint32) {
			p.bw.Write([]byte{0, 0x03, 0xe8, byte(http2.FrameData), 0, 0, 0, 0, byte(id), 'a', 'b'})
			p.flush()
			p.nc.Close()
		}, "error reading from server"},
		{"connection window overflow", func(p *peer, id uint32) {
			p.fr.WriteWindowUpdate(0, 1<<31-1)
			p.fr.WriteWindowUpdate(0, 1<<31-1)
		}, "FLOW_CONTROL_ERROR"},
		{"DATA on a stream the client never opened", func(p *peer, id uint32) {
			p.fr.WriteData(id+2, false, msg(0, 0, ""))
		}, "did not open"},
		{"HEADERS on a stream the client never opened", func(p *peer, id uint32) {
			p.headers(id+100, false, okHeaders)
		}, "did not open"},
		{"PUSH_PROMISE", func(p *peer, id uint32) {
			p.fr.WritePushPromise(http2.PushPromiseParam{StreamID: id, PromiseID: 2, EndHeaders: true, BlockFragment: p.block(okHeaders...)})
		}, "PUSH_PROMISE"},
		{"PING flood, reading nothing", func(p *peer, id uint32) {
			for i := 0; ; i++ {
				if p.fr.WritePing(false, [8]byte{byte(i)}) != nil || (i%1000 == 0 && p.bw.Flush() != nil) {
					return
				}
			}
		}, "flood"},
		{"HPACK garbage", func(p *peer, id uint32) {
			p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, BlockFragment: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}})
		}, "HPACK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startPeer(t, nil, func(p *peer) {
				if id := p.readRequest(); id != 0 {
					tt.serve(p, id)
					p.flush()
					p.drain()
				}
			})
			ch, sink := events()
			c := dial(t, Config{Addr: addr, InitialWindowSize: 16384, ConnWindowSize: 65535, Events: sink, MaxHeaderListSize: 64 << 10})
			m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
			resp, err := c.Unary(testCtx(t), m, msg(0, 0, ""), nil)
			resp.Release()
			if code := resp.Code; code != codes.Unavailable {
				t.Fatalf("call: %v, want UNAVAILABLE", err)
			}
			e := waitEvent(t, ch, EventClose)
			if e.Err == nil || !strings.Contains(e.Err.Error(), tt.err) {
				t.Fatalf("connection closed with %v, want %q", e.Err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) && tt.err != "flood" {
				t.Fatalf("call error %q does not name the cause %q", err, tt.err)
			}
		})
	}
}

// TestGoAwayFlood: a hundred thousand GOAWAY frames make one event, the
// call in flight still completes, and the connection then closes.
func TestGoAwayFlood(t *testing.T) {
	addr := startPeer(t, nil, func(p *peer) {
		id := p.readRequest()
		for i := range 100000 {
			p.fr.WriteGoAway(1<<31-1, http2.ErrCodeNo, []byte("flood"))
			if i%1000 == 0 {
				p.flush()
			}
		}
		p.respond(id, msg(0, 0, ""))
		p.drain()
	})
	var goaways atomic.Int64
	ch, sink := events()
	c := dial(t, Config{Addr: addr, Events: func(e Event) {
		if e.Kind == EventGoAway {
			goaways.Add(1)
		}
		sink(e)
	}})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	resp, err := c.Unary(testCtx(t), m, msg(0, 0, ""), nil)
	resp.Release()
	if err != nil {
		t.Fatalf("call below last_stream_id: %v", err)
	}
	waitEvent(t, ch, EventClose)
	if n := goaways.Load(); n != 1 {
		t.Fatalf("%d goaway events, want 1", n)
	}
}

// TestNonGRPCResponseLikeGRPCGo: a non-gRPC answer with a body (a proxy's
// error page) fails with grpc-go's code and message, the start of the body
// included, whether the body ends in DATA, in trailers or past 1 KiB.
func TestNonGRPCResponseLikeGRPCGo(t *testing.T) {
	page := hf(":status", "502", "content-type", "text/html")
	tests := []struct {
		name  string
		serve func(p *peer, id uint32)
	}{
		{"body ends in DATA", func(p *peer, id uint32) {
			p.headers(id, false, page)
			p.fr.WriteData(id, false, []byte("<html>502 Bad Gateway"))
			p.fr.WriteData(id, true, []byte(" nginx/1.22.1</html>"))
		}},
		{"body ends in trailers", func(p *peer, id uint32) {
			p.headers(id, false, hf(":status", "503"))
			p.fr.WriteData(id, false, []byte("upstream connect error"))
			p.headers(id, true, hf("x-end", "1"))
		}},
		{"body over 1 KiB", func(p *peer, id uint32) {
			p.headers(id, false, page)
			p.fr.WriteData(id, false, []byte(strings.Repeat("x", 3000)))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := answering(t, tt.serve)
			cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			req, resp := msg(0, 0, "")[5:], []byte(nil)
			want := status.Convert(cc.Invoke(testCtx(t), pulsepb.Pulse_Unary_FullMethodName, &req, &resp))
			if !strings.Contains(want.Message(), "\ndata: ") {
				t.Fatalf("grpc-go: %v, want the body in the message", want.Err())
			}
			failsTwice(t, dial(t, Config{Addr: addr}), want.Code(), want.Message())
		})
	}
}
