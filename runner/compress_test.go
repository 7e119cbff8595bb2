package runner

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// encodings notes, on the server, each call's grpc-encoding and the bytes
// of the messages it received, before and after decompression.
type encodings struct {
	mu             sync.Mutex
	seen           map[string]int // grpc-encoding of Pulse calls → calls
	length, onWire int
}

func (e *encodings) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (e *encodings) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (e *encodings) HandleConn(context.Context, stats.ConnStats) {}
func (e *encodings) HandleRPC(_ context.Context, s stats.RPCStats) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch s := s.(type) {
	case *stats.InHeader:
		if strings.HasPrefix(s.FullMethod, "/grpcpulse.test.v1.Pulse/") {
			if e.seen == nil {
				e.seen = map[string]int{}
			}
			e.seen[s.Compression]++
		}
	case *stats.InPayload:
		e.length += s.Length
		e.onWire += s.CompressedLength
	}
}

// --compress gzip, with either engine: every request says grpc-encoding
// gzip and goes compressed, the server answers in gzip, and the outcome
// counts both ways' bytes before and after, the same with both engines.
func TestRunCompressGzip(t *testing.T) {
	t.Parallel()
	body := `{"message":"` + strings.Repeat("pulse ", 200) + `"}`
	var got [2]conn.Payloads
	for i, engine := range engines {
		enc := &encodings{}
		srv := testserver.Start(t, testserver.WithServerOptions(grpc.StatsHandler(enc)))
		rec, out := runLoad(t, srv, "Unary", body, func(o *plan.Options) {
			o.Target.Engine = engine
			o.Load.Total = 20
			o.Call.Compress = "gzip"
			o.Metadata.Headers = headers(testserver.MDSize, "2000")
		})
		if got := rec.codes(); got[0] != 20 {
			t.Fatalf("%s: codes %v, want 20 OK", engine, got)
		}
		enc.mu.Lock()
		seen, length, onWire := enc.seen, enc.length, enc.onWire
		enc.mu.Unlock()
		if len(seen) != 1 || seen["gzip"] != 20 {
			t.Errorf("%s: the server saw grpc-encoding %v, want gzip on all 20 calls", engine, seen)
		}
		if onWire >= length/4 {
			t.Errorf("%s: the server received %d bytes compressed for %d serialized; want a compressible message well under a quarter", engine, onWire, length)
		}
		p := out.Payloads
		if p == nil {
			t.Fatalf("%s: no Payloads with --compress", engine)
		}
		if p.SentMessages != 20 || p.ReceivedMsgs != 20 {
			t.Errorf("%s: counted %d messages sent and %d received, want 20 each", engine, p.SentMessages, p.ReceivedMsgs)
		}
		if p.Sent != int64(length) || p.SentWire != int64(onWire) || p.SentWire >= p.Sent/4 {
			t.Errorf("%s: sent %d bytes serialized, %d on the wire (the server got %d, %d); want the same and a quarter at most",
				engine, p.Sent, p.SentWire, length, onWire)
		}
		if p.Received == 0 || p.ReceivedWire >= p.Received/4 {
			t.Errorf("%s: received %d bytes serialized, %d on the wire: the server did not answer in gzip", engine, p.Received, p.ReceivedWire)
		}
		got[i] = *p
	}
	if got[0] != got[1] {
		t.Errorf("the engines counted different bytes:\ngrpc %+v\nh2   %+v", got[0], got[1])
	}
}

// Without --compress no request is compressed and nothing is counted.
func TestRunUncompressed(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		enc := &encodings{}
		srv := testserver.Start(t, testserver.WithServerOptions(grpc.StatsHandler(enc)))
		_, out := runLoad(t, srv, "Unary", `{"message":"hi"}`, func(o *plan.Options) {
			o.Target.Engine = engine
			o.Load.Total = 5
		})
		enc.mu.Lock()
		if len(enc.seen) != 1 || enc.seen[""] != 5 {
			t.Errorf("%s: the server saw grpc-encoding %v, want none on all 5 calls", engine, enc.seen)
		}
		enc.mu.Unlock()
		if out.Payloads != nil {
			t.Errorf("%s: Payloads %+v without --compress, want nil", engine, out.Payloads)
		}
	}
}

// A gzip bomb (5 MiB of response in a few KiB of gzip, past the 4 MiB
// limit) fails each call RESOURCE_EXHAUSTED with grpc-go's words, with
// either engine; the sizes that did come are counted.
func TestRunGzipBomb(t *testing.T) {
	t.Parallel()
	const want = `ResourceExhausted "grpc: received message after decompression larger than max 4194304"`
	for _, engine := range engines {
		srv := testserver.Start(t)
		rec, out := runEngine(t, srv, engine, "Unary", "", func(o *plan.Options) {
			o.Load.Total, o.Load.Concurrency = 2, 1
			o.Call.Compress = "gzip"
			o.Call.Timeout = 45 * time.Second
			o.Metadata.Headers = headers(testserver.MDSize, fmt.Sprint(5<<20))
		})
		if got := rec.statuses(); len(got) != 1 || got[want] != 2 {
			t.Errorf("%s: statuses %v, want 2 %s", engine, got, want)
		}
		if p := out.Payloads; p == nil || p.SentMessages != 2 || p.ReceivedMsgs != 0 {
			t.Errorf("%s: counted %+v, want 2 messages sent, none received", engine, p)
		}
	}
}
