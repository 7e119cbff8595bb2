package h2

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/internal/cputime"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// The benchmarks run against an in-process test server, or against the
// server at $H2_BENCH_ADDR (for example `grpcpulse serve` in another
// process), which makes the cpu-ns/op figure the client's CPU alone.

func benchAddr(b *testing.B) string {
	if addr := os.Getenv("H2_BENCH_ADDR"); addr != "" {
		return addr
	}
	return startServer(b).Addr()
}

// ioCalls is how many read and write system calls the process made so
// far (Linux's /proc/self/io; 0 elsewhere).
func ioCalls() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	var n int64
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, _ := strings.Cut(line, ": "); k == "syscr" || k == "syscw" {
			i, _ := strconv.ParseInt(v, 10, 64)
			n += i
		}
	}
	return n
}

// measure runs the benchmark body and reports CPU per op, calls/s and
// read and write system calls per op.
func measure(b *testing.B, body func()) {
	b.ReportAllocs()
	start, wall, io := cputime.Self(), time.Now(), ioCalls()
	b.ResetTimer()
	body()
	b.StopTimer()
	cpu, elapsed := cputime.Self()-start, time.Since(wall)
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(ioCalls()-io)/float64(b.N), "syscalls/op")
}

const benchWorkers = 50

func benchRequest(b *testing.B) []byte {
	return frame(b, &pulsepb.Request{Message: "bench", Id: 1})
}

func BenchmarkH2Unary(b *testing.B) {
	c := dial(b, Config{Addr: benchAddr(b)})
	m := method(b, c, pulsepb.Pulse_Unary_FullMethodName)
	req := benchRequest(b)
	ctx := context.Background()
	b.SetParallelism(benchWorkers / max(1, runtimeProcs()))
	measure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := c.Unary(ctx, m, req, nil)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Release()
			}
		})
	})
}

// benchChain is one of BenchmarkH2UnaryStart's closed loops: each Done
// starts the next call while calls are left.
type benchChain struct {
	b    *testing.B
	c    *Conn
	m    *Method
	req  []byte
	left *atomic.Int64
	wg   *sync.WaitGroup
}

func (ch *benchChain) Done(err error) {
	if err != nil {
		ch.b.Error(err)
	}
	ch.next()
}

func (ch *benchChain) next() {
	if ch.left.Add(-1) < 0 {
		ch.wg.Done()
		return
	}
	if err := ch.c.Start(context.Background(), ch.m, ch.req, nil, ch); err != nil {
		ch.b.Error(err)
		ch.wg.Done()
	}
}

// BenchmarkH2UnaryStart is BenchmarkH2Unary with Start: 50 closed loops
// that the connection's reader drives, as the run loop's closed loops of
// unary calls are made.
func BenchmarkH2UnaryStart(b *testing.B) {
	c := dial(b, Config{Addr: benchAddr(b)})
	m := method(b, c, pulsepb.Pulse_Unary_FullMethodName)
	req := benchRequest(b)
	closedLoops(b, int64(b.N), func(left *atomic.Int64, wg *sync.WaitGroup) {
		(&benchChain{b: b, c: c, m: m, req: req, left: left, wg: wg}).next()
	})
}

// closedLoops measures benchWorkers closed loops that share left calls
// (or messages); start begins one, which calls wg.Done at its end.
func closedLoops(b *testing.B, left int64, start func(left *atomic.Int64, wg *sync.WaitGroup)) {
	measure(b, func() {
		var n atomic.Int64
		var wg sync.WaitGroup
		n.Store(left)
		for range benchWorkers {
			wg.Add(1)
			start(&n, &wg)
		}
		wg.Wait()
	})
}

// pingPonger is one stream of BenchmarkH2BidiPingPongOpen: each answer
// sends the next message while messages are left.
type pingPonger struct {
	b    *testing.B
	st   *Stream
	req  []byte
	left *atomic.Int64
	wg   *sync.WaitGroup
}

func (p *pingPonger) Message([]byte) {
	if p.left.Add(-1) < 0 {
		p.st.CloseSend()
		return
	}
	if err := p.st.TrySend(p.req); err != nil {
		p.b.Error(err)
	}
}

func (p *pingPonger) Done(err error) {
	if err != nil {
		p.b.Error(err)
	}
	p.st.Close()
	p.wg.Done()
}

// BenchmarkH2BidiPingPongOpen is BenchmarkH2BidiPingPong with Open: the
// connection's reader sends each stream's next message.
func BenchmarkH2BidiPingPongOpen(b *testing.B) {
	c := dial(b, Config{Addr: benchAddr(b)})
	m := method(b, c, pulsepb.Pulse_Bidi_FullMethodName)
	req := benchRequest(b)
	closedLoops(b, int64(b.N-benchWorkers), func(left *atomic.Int64, wg *sync.WaitGroup) {
		p := &pingPonger{b: b, req: req, left: left, wg: wg}
		st, err := c.Open(context.Background(), m, nil, p)
		if err != nil {
			b.Fatal(err)
		}
		p.st = st
		if err := st.Send(req); err != nil {
			b.Fatal(err)
		}
	})
}

// rawCodec passes bytes through, so the grpc-go loop does no protobuf work
// either.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = data
	return nil
}
func (rawCodec) Name() string { return "proto" }

func grpcConn(b *testing.B, addr string) *grpc.ClientConn {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cc.Close() })
	return cc
}

func BenchmarkGRPCGoUnary(b *testing.B) {
	cc := grpcConn(b, benchAddr(b))
	req := benchRequest(b)[5:]
	ctx := context.Background()
	b.SetParallelism(benchWorkers / max(1, runtimeProcs()))
	measure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			var resp []byte
			for pb.Next() {
				if err := cc.Invoke(ctx, pulsepb.Pulse_Unary_FullMethodName, &req, &resp); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// benchStreamMessages is how many messages one server stream carries.
const benchStreamMessages = 1000

func BenchmarkH2ServerStream(b *testing.B) {
	c := dial(b, Config{Addr: benchAddr(b)})
	m := method(b, c, pulsepb.Pulse_ServerStream_FullMethodName, md("x-pulse-messages", strconv.Itoa(benchStreamMessages))...)
	req := benchRequest(b)
	ctx := context.Background()
	measure(b, func() {
		for i := 0; i < b.N; i += benchStreamMessages {
			st, err := c.NewStream(ctx, m, nil)
			if err != nil {
				b.Fatal(err)
			}
			st.Send(req)
			st.CloseSend()
			for {
				if _, err := st.Recv(); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Fatal(err)
					}
					break
				}
			}
			st.Close()
		}
	})
}

// BenchmarkH2ServerStreamOpen is the server stream as the run loop makes
// it: OpenRequest, its messages counted on the reader, the next stream
// opened from Done.
func BenchmarkH2ServerStreamOpen(b *testing.B) {
	c := dial(b, Config{Addr: benchAddr(b)})
	m := method(b, c, pulsepb.Pulse_ServerStream_FullMethodName, md("x-pulse-messages", strconv.Itoa(benchStreamMessages))...)
	h := &streamChain{b: b, c: c, m: m, req: benchRequest(b), left: b.N, end: make(chan struct{})}
	measure(b, func() {
		h.open()
		<-h.end
	})
	if h.msgs < b.N {
		b.Fatalf("received %d messages, want %d", h.msgs, b.N)
	}
}

// streamChain opens server streams one after another from Done until
// left messages came. mu guards st: a stream may end before its opener
// has stored it.
type streamChain struct {
	b          *testing.B
	c          *Conn
	m          *Method
	req        []byte
	mu         sync.Mutex
	st         *Stream
	left, msgs int
	end        chan struct{}
}

func (h *streamChain) Message([]byte) { h.msgs++ }

func (h *streamChain) Done(err error) {
	h.mu.Lock()
	h.st.Close()
	h.mu.Unlock()
	if err != nil {
		h.b.Error(err)
		close(h.end)
		return
	}
	if h.left -= benchStreamMessages; h.left <= 0 {
		close(h.end)
		return
	}
	h.open()
}

func (h *streamChain) open() {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, err := h.c.OpenRequest(context.Background(), h.m, h.req, nil, h)
	if err != nil {
		h.b.Error(err)
		close(h.end)
		return
	}
	h.st = st
}

func BenchmarkGRPCGoServerStream(b *testing.B) {
	cc := grpcConn(b, benchAddr(b))
	req := benchRequest(b)[5:]
	desc := &grpc.StreamDesc{ServerStreams: true}
	ctx := context.Background()
	measure(b, func() {
		for i := 0; i < b.N; i += benchStreamMessages {
			st, err := cc.NewStream(metadataCtx(ctx, "x-pulse-messages", strconv.Itoa(benchStreamMessages)), desc, pulsepb.Pulse_ServerStream_FullMethodName)
			if err != nil {
				b.Fatal(err)
			}
			st.SendMsg(&req)
			st.CloseSend()
			var resp []byte
			for {
				if err := st.RecvMsg(&resp); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Fatal(err)
					}
					break
				}
			}
		}
	})
}

// The bidi benchmarks count messages: one op is one request and its
// response, ping-pong (send, then wait for the response) on 50 streams.
func BenchmarkH2BidiPingPong(b *testing.B) {
	c := dial(b, Config{Addr: benchAddr(b)})
	m := method(b, c, pulsepb.Pulse_Bidi_FullMethodName)
	req := benchRequest(b)
	ctx := context.Background()
	b.SetParallelism(benchWorkers / max(1, runtimeProcs()))
	measure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			st, err := c.NewStream(ctx, m, nil)
			if err != nil {
				b.Error(err)
				return
			}
			defer st.Close()
			for pb.Next() {
				if err := st.Send(req); err != nil {
					b.Error(err)
					return
				}
				if _, err := st.Recv(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkGRPCGoBidiPingPong(b *testing.B) {
	cc := grpcConn(b, benchAddr(b))
	req := benchRequest(b)[5:]
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.SetParallelism(benchWorkers / max(1, runtimeProcs()))
	measure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			st, err := cc.NewStream(ctx, desc, pulsepb.Pulse_Bidi_FullMethodName)
			if err != nil {
				b.Error(err)
				return
			}
			var resp []byte
			for pb.Next() {
				if err := st.SendMsg(&req); err != nil {
					b.Error(err)
					return
				}
				if err := st.RecvMsg(&resp); err != nil {
					b.Error(err)
					return
				}
			}
			st.CloseSend()
		})
	})
}

var _ = proto.Marshal

// benchPipelineStreams is how many bidi streams the pipelined benchmarks
// run at once; one op is one request and its response.
const benchPipelineStreams = 10

// pipeline runs send (n requests, then close) and recv (until the end) on
// each of benchPipelineStreams streams.
func pipeline(b *testing.B, open func() (send func() error, closeSend func(), recv func() error)) {
	measure(b, func() {
		per := b.N/benchPipelineStreams + 1
		done := make(chan error, 2*benchPipelineStreams)
		for range benchPipelineStreams {
			send, closeSend, recv := open()
			go func() {
				for range per {
					if err := send(); err != nil {
						done <- err
						return
					}
				}
				closeSend()
				done <- nil
			}()
			go func() {
				for {
					if err := recv(); err != nil {
						if errors.Is(err, io.EOF) {
							err = nil
						}
						done <- err
						return
					}
				}
			}()
		}
		for range 2 * benchPipelineStreams {
			if err := <-done; err != nil {
				b.Error(err)
			}
		}
	})
}

func BenchmarkH2BidiPipelined(b *testing.B) {
	c := dial(b, Config{Addr: benchAddr(b)})
	m := method(b, c, pulsepb.Pulse_Bidi_FullMethodName)
	req := benchRequest(b)
	ctx := context.Background()
	pipeline(b, func() (func() error, func(), func() error) {
		st, err := c.NewStream(ctx, m, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(st.Close)
		return func() error { return st.Send(req) }, func() { st.CloseSend() },
			func() error { _, err := st.Recv(); return err }
	})
}

func BenchmarkGRPCGoBidiPipelined(b *testing.B) {
	cc := grpcConn(b, benchAddr(b))
	req := benchRequest(b)[5:]
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pipeline(b, func() (func() error, func(), func() error) {
		st, err := cc.NewStream(ctx, desc, pulsepb.Pulse_Bidi_FullMethodName)
		if err != nil {
			b.Fatal(err)
		}
		var resp []byte
		return func() error { return st.SendMsg(&req) }, func() { st.CloseSend() },
			func() error { return st.RecvMsg(&resp) }
	})
}
