package runner_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// streamLoad is one streaming benchmark: streams of perStream messages
// each, c at a time, of one method and pacing.
type streamLoad struct {
	method    string // event.Bidi or event.ServerStream
	pacing    string // bidi: plan.PacingPingPong or plan.PacingPipeline
	c         int
	streams   int64
	perStream int
}

// messages is how many messages a round moves: for bidi the requests sent
// (each answered once), for server streams the responses.
func (l streamLoad) messages() int64 { return l.streams * int64(l.perStream) }

// bareStreams runs l with the generated stubs and nothing around them, and
// returns how long it took.
func bareStreams(tb testing.TB, addr string, l streamLoad) time.Duration {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	defer cc.Close()
	client := pulsepb.NewPulseClient(cc)
	if _, err := client.Unary(context.Background(), &pulsepb.Request{}); err != nil { // connect first, as the runner does
		tb.Fatal(err)
	}
	ctx := context.Background()
	if l.method == "ServerStream" {
		ctx = metadata.AppendToOutgoingContext(ctx, testserver.MDMessages, strconv.Itoa(l.perStream))
	}
	req := &pulsepb.Request{Message: "hello"}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range l.c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= l.streams {
				if err := bareStream(ctx, client, req, l); err != nil {
					tb.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// bareStream is one stream of l, as a grpc-go user would write it.
func bareStream(ctx context.Context, client pulsepb.PulseClient, req *pulsepb.Request, l streamLoad) error {
	drain := func(recv func() (*pulsepb.Response, error)) error {
		for {
			if _, err := recv(); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
		}
	}
	if l.method == "ServerStream" {
		s, err := client.ServerStream(ctx, req)
		if err != nil {
			return err
		}
		return drain(s.Recv)
	}
	s, err := client.Bidi(ctx)
	if err != nil {
		return err
	}
	if l.pacing == plan.PacingPingPong {
		for range l.perStream {
			if err := s.Send(req); err != nil {
				return err
			}
			if _, err := s.Recv(); err != nil {
				return err
			}
		}
		if err := s.CloseSend(); err != nil {
			return err
		}
		return drain(s.Recv)
	}
	sent := make(chan error, 1)
	go func() {
		for range l.perStream {
			if err := s.Send(req); err != nil {
				sent <- err
				return
			}
		}
		sent <- s.CloseSend()
	}()
	if err := drain(s.Recv); err != nil {
		return err
	}
	return <-sent
}

// pulseStreams runs l through grpcpulse's runner, recording into the real
// recorder, and returns the time from its first call to its last.
func pulseStreams(tb testing.TB, addr string, l streamLoad) time.Duration {
	md := pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName(protoreflect.Name(l.method))
	reqs, err := data.NewRequests(md.Input(), []byte(`{"message":"hello"}`), data.Static, nil)
	if err != nil {
		tb.Fatal(err)
	}
	opts := plan.Options{
		Target: plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load:   plan.Load{Concurrency: l.c, Connections: 1, Total: l.streams},
		Call:   plan.Call{Messages: 1},
	}
	kind := event.ServerStream
	if l.method == "ServerStream" {
		opts.Metadata.Headers = []string{testserver.MDMessages + ": " + strconv.Itoa(l.perStream)}
	} else {
		kind = event.Bidi
		opts.Call.Messages, opts.Call.StreamPacing = l.perStream, l.pacing
	}
	r, err := runner.New(opts, md, reqs)
	if err != nil {
		tb.Fatal(err)
	}
	rec := &timedRecorder{Recorder: record.New(kind, l.c)}
	if _, err := r.Run(context.Background(), rec); err != nil {
		tb.Fatal(err)
	}
	if sum := rec.Recorder.Summary(record.Meta{Kind: kind}); sum.OK != l.streams {
		tb.Fatalf("%d streams succeeded, want %d", sum.OK, l.streams)
	}
	return rec.end.Sub(rec.begin)
}

// mallocs returns the heap allocations so far (of the whole process: the
// server's count for both sides alike).
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// BenchmarkStreamsVsBare alternates rounds of bare grpc-go streams and the
// runner's against one server, for bidi ping-pong, bidi pipelined and
// server streaming, and reports each side's messages per second and
// allocations per message (server included, for both), and grpcpulse's
// messages per second as a fraction of the bare loop's (the target is at
// least 0.9).
func BenchmarkStreamsVsBare(b *testing.B) {
	srv := testserver.Start(b)
	for _, tt := range []struct {
		name string
		load streamLoad
	}{
		{"bidi-pingpong", streamLoad{method: "Bidi", pacing: plan.PacingPingPong, c: 8, streams: 80, perStream: 100}},
		{"bidi-pipeline", streamLoad{method: "Bidi", pacing: plan.PacingPipeline, c: 8, streams: 80, perStream: 100}},
		{"server-stream", streamLoad{method: "ServerStream", c: 8, streams: 16, perStream: 1000}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			var bareTime, pulseTime time.Duration
			var bareAllocs, pulseAllocs uint64
			side := func(run func(testing.TB, string, streamLoad) time.Duration, took *time.Duration, allocs *uint64) {
				m := mallocs()
				*took += run(b, srv.Addr(), tt.load)
				*allocs += mallocs() - m
			}
			for i := range b.N {
				if i%2 == 0 {
					side(bareStreams, &bareTime, &bareAllocs)
					side(pulseStreams, &pulseTime, &pulseAllocs)
				} else {
					side(pulseStreams, &pulseTime, &pulseAllocs)
					side(bareStreams, &bareTime, &bareAllocs)
				}
			}
			msgs := float64(tt.load.messages() * int64(b.N))
			b.ReportMetric(bareTime.Seconds()/pulseTime.Seconds(), "ratio")
			b.ReportMetric(msgs/bareTime.Seconds(), "bare-msgs/s")
			b.ReportMetric(msgs/pulseTime.Seconds(), "pulse-msgs/s")
			b.ReportMetric(float64(bareAllocs)/msgs, "bare-allocs/msg")
			b.ReportMetric(float64(pulseAllocs)/msgs, "pulse-allocs/msg")
		})
	}
}
