package h2

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// serverSaw notes, on the server, the grpc-encoding of each call and the
// bytes of the request messages before and after decompression.
type serverSaw struct {
	mu             sync.Mutex
	encodings      map[string]int
	length, onWire int
}

func (s *serverSaw) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (s *serverSaw) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (s *serverSaw) HandleConn(context.Context, stats.ConnStats)                       {}
func (s *serverSaw) HandleRPC(_ context.Context, st stats.RPCStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st := st.(type) {
	case *stats.InHeader:
		if s.encodings == nil {
			s.encodings = map[string]int{}
		}
		s.encodings[st.Compression]++
	case *stats.InPayload:
		s.length += st.Length
		s.onWire += st.CompressedLength
	}
}

func gzipped(t testing.TB, frame []byte) []byte {
	t.Helper()
	b, err := CompressGzip(frame)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Unary calls with Compression gzip: the server reads a gzip request (it
// echoes the message), answers in gzip, and the response is decompressed.
func TestCompressUnary(t *testing.T) {
	saw := &serverSaw{}
	srv := startServer(t, testserver.WithServerOptions(grpc.StatsHandler(saw)))
	c := dial(t, Config{Addr: srv.Addr(), Compression: Gzip})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	text := strings.Repeat("pulse ", 100)
	req := gzipped(t, frame(t, &pulsepb.Request{Message: text, Id: 3}))
	if req[0] != 1 || len(req) > 100 {
		t.Fatalf("the request frame is %d bytes with flag %d: not compressed", len(req), req[0])
	}
	for i := range 20 {
		resp, err := c.Unary(testCtx(t), m, req, md(testserver.MDSize, "4096"))
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		r := decodeResponse(t, resp.Payload)
		if r.GetMessage() != text || r.GetId() != 3 || len(r.GetPayload()) != 4096 {
			t.Fatalf("call %d: got %d bytes of message, id %d, %d of payload", i, len(r.GetMessage()), r.GetId(), len(r.GetPayload()))
		}
		if w := resp.WireSize(); w <= 0 || w >= len(resp.Payload)/4 {
			t.Fatalf("call %d: the response came in %d bytes for %d: not compressed", i, w, len(resp.Payload))
		}
		resp.Release()
	}
	saw.mu.Lock()
	defer saw.mu.Unlock()
	if saw.encodings["gzip"] != 20 || len(saw.encodings) != 1 {
		t.Errorf("the server saw grpc-encoding %v, want gzip on 20 calls", saw.encodings)
	}
	if saw.onWire != 20*(len(req)-5) || saw.length <= 4*saw.onWire {
		t.Errorf("the server read %d bytes on the wire, %d decompressed; want %d compressed to under a quarter", saw.onWire, saw.length, 20*(len(req)-5))
	}
}

// A server stream and a bidi stream with Compression gzip: every message
// compressed both ways, each decompressed in turn.
func TestCompressStreams(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr(), Compression: Gzip, InitialWindowSize: 16 << 10})
	t.Run("server stream", func(t *testing.T) {
		st, err := c.NewStream(testCtx(t), method(t, c, pulsepb.Pulse_ServerStream_FullMethodName),
			md(testserver.MDMessages, "200", testserver.MDSize, "2000"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		st.Send(gzipped(t, frame(t, &pulsepb.Request{Id: 9})))
		st.CloseSend()
		for i := 1; ; i++ {
			b, err := st.Recv()
			if errors.Is(err, io.EOF) {
				if i != 201 {
					t.Fatalf("got %d messages, want 200", i-1)
				}
				break
			}
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if r := decodeResponse(t, b); r.GetSeq() != int64(i) || r.GetId() != 9 || len(r.GetPayload()) != 2000 {
				t.Fatalf("message %d: seq %d id %d, %d bytes of payload", i, r.GetSeq(), r.GetId(), len(r.GetPayload()))
			}
			if w := st.WireSize(); w <= 0 || w >= len(b)/4 {
				t.Fatalf("message %d came in %d bytes for %d: not compressed", i, w, len(b))
			}
		}
	})
	t.Run("bidi", func(t *testing.T) {
		st, err := c.NewStream(testCtx(t), method(t, c, pulsepb.Pulse_Bidi_FullMethodName), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for i := range 100 {
			text := strings.Repeat(strconv.Itoa(i), 200)
			if err := st.Send(gzipped(t, frame(t, &pulsepb.Request{Message: text, Id: int64(i)}))); err != nil {
				t.Fatal(err)
			}
			b, err := st.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if r := decodeResponse(t, b); r.GetId() != int64(i) || r.GetMessage() != text {
				t.Fatalf("response %d: id %d, %d bytes of message", i, r.GetId(), len(r.GetMessage()))
			}
		}
		st.CloseSend()
		if _, err := st.Recv(); !errors.Is(err, io.EOF) {
			t.Fatalf("got %v, want EOF", err)
		}
	})
}

// A response that decompresses to more than MaxRecvMsgSize fails its call
// RESOURCE_EXHAUSTED with grpc-go's words, though it came small; the
// connection serves the next call.
func TestCompressBomb(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr(), Compression: Gzip, MaxRecvMsgSize: 1 << 20})
	const want = "grpc: received message after decompression larger than max 1048576"
	req := gzipped(t, frame(t, &pulsepb.Request{}))
	resp, err := c.Unary(testCtx(t), method(t, c, pulsepb.Pulse_Unary_FullMethodName), req, md(testserver.MDSize, strconv.Itoa(8<<20)))
	resp.Release()
	var se *StatusError
	if !errors.As(err, &se) || se.Code != codes.ResourceExhausted || se.Message != want {
		t.Fatalf("unary: got %v, want RESOURCE_EXHAUSTED %q", err, want)
	}
	st, err := c.NewStream(testCtx(t), method(t, c, pulsepb.Pulse_ServerStream_FullMethodName),
		md(testserver.MDMessages, "3", testserver.MDSize, strconv.Itoa(8<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Send(req)
	st.CloseSend()
	if _, err := st.Recv(); !errors.As(err, &se) || se.Code != codes.ResourceExhausted || se.Message != want {
		t.Fatalf("stream: got %v, want RESOURCE_EXHAUSTED %q", err, want)
	}
	if code, msg := st.Status(); code != codes.ResourceExhausted || msg != want {
		t.Errorf("stream status %v %q after the failed Recv", code, msg)
	}
	resp, err = c.Unary(testCtx(t), method(t, c, pulsepb.Pulse_Unary_FullMethodName), req, md(testserver.MDSize, "100"))
	resp.Release()
	if err != nil {
		t.Fatalf("the call after: %v", err)
	}
}

// inflate reads no more than the limit of a bomb: memory is bounded by the
// limit, not by what the message would decompress to.
func TestInflateBounded(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(make([]byte, 64<<20))
	zw.Close()
	const limit = 1 << 20
	out, se := inflate(nil, buf.Bytes(), limit)
	if se == nil || se.Code != codes.ResourceExhausted {
		t.Fatalf("got %v, want RESOURCE_EXHAUSTED", se)
	}
	if len(out) != limit+1 || cap(out) > 2*limit {
		t.Errorf("read %d bytes into %d: want limit+1 read, the buffer within twice the limit", len(out), cap(out))
	}
	out, se = inflate(out[:0], buf.Bytes()[:buf.Len()/2], 128<<20)
	if se == nil || se.Code != codes.Internal || !strings.Contains(se.Message, "grpc: failed to read decompressed data: ") {
		t.Errorf("a truncated message: got %v", se)
	}
	if _, se := inflate(nil, []byte("not gzip at all"), limit); se == nil || se.Code != codes.Internal ||
		!strings.Contains(se.Message, "grpc: failed to decompress the message: ") {
		t.Errorf("not gzip: got %v", se)
	}
	if b, err := CompressGzip([]byte{0, 0, 0, 0, 0}); err != nil || !bytes.Equal(b, []byte{0, 0, 0, 0, 0}) {
		t.Errorf("an empty message compressed to %v, %v; want it as it is (grpc-go sends it uncompressed)", b, err)
	}
	if _, err := CompressGzip([]byte{1}); err == nil {
		t.Error("a frame without its prefix compressed")
	}
}

// A hand-written server's broken gzip answers fail the call, not the
// connection; a compressed answer in another encoding than the client's
// stays UNIMPLEMENTED.
func TestCompressBrokenAnswers(t *testing.T) {
	bad := msg(1, 15, "not gzip at all")
	tests := []struct {
		name     string
		encoding string
		body     []byte
		code     codes.Code
		msg      string
	}{
		{"not gzip", "gzip", bad, codes.Internal, "grpc: failed to decompress the message: "},
		{"other encoding", "deflate", bad, codes.Unimplemented, `Decompressor is not installed for grpc-encoding "deflate"`},
		{"flag without encoding", "", bad, codes.Internal, "compressed flag set with identity or empty encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := answering(t, func(p *peer, id uint32) {
				fields := okHeaders
				if tt.encoding != "" {
					fields = hf(":status", "200", "content-type", "application/grpc", "grpc-encoding", tt.encoding)
				}
				p.headers(id, false, fields)
				p.fr.WriteData(id, false, tt.body)
				p.headers(id, true, okTrailers)
			})
			failsTwice(t, dial(t, Config{Addr: addr, Compression: Gzip}), tt.code, tt.msg)
		})
	}
}

// The request headers say the encoding only with Compression; an unknown
// compression is refused.
func TestCompressHeaders(t *testing.T) {
	got := make(chan []HeaderField, 2)
	addr := startPeer(t, nil, func(p *peer) {
		for {
			id, fields := p.readRequestHeaders()
			if id == 0 {
				return
			}
			got <- fields
			p.respond(id, msg(0, 0, ""))
		}
	})
	for _, comp := range []string{"", Gzip} {
		c := dial(t, Config{Addr: addr, Compression: comp})
		resp, err := c.Unary(testCtx(t), method(t, c, "/a.B/C"), msg(0, 0, ""), nil)
		resp.Release()
		if err != nil {
			t.Fatal(err)
		}
		var enc []string
		for _, f := range <-got {
			if strings.Contains(f.Name, "encoding") {
				enc = append(enc, f.Name+": "+f.Value)
			}
		}
		want := ""
		if comp != "" {
			want = "grpc-encoding: gzip, grpc-accept-encoding: gzip"
		}
		if strings.Join(enc, ", ") != want {
			t.Errorf("Compression %q: the request said %q, want %q", comp, enc, want)
		}
	}
	if _, err := Dial(testCtx(t), Config{Addr: addr, Compression: "br"}); err == nil || !strings.Contains(err.Error(), `compression "br" is not supported`) {
		t.Errorf("Dial with Compression br: %v", err)
	}
	if _, err := NewMethod(&Config{Compression: "br"}, "/a.B/C", nil); err == nil {
		t.Error("NewMethod with Compression br made a method")
	}
}
