package runner_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// defaultConcurrency is run's default -c.
const defaultConcurrency = 50

// bare makes n unary calls from c goroutines over one connection with the
// generated stub: what grpc-go does with nothing around it.
func bare(tb testing.TB, addr string, n int64, c int) time.Duration {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	defer cc.Close()
	client := pulsepb.NewPulseClient(cc)
	req := &pulsepb.Request{Message: "hello"}
	if _, err := client.Unary(context.Background(), req); err != nil { // connect first, as the runner does
		tb.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= n {
				if _, err := client.Unary(context.Background(), req); err != nil {
					tb.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// pulse makes n unary calls through grpcpulse's runner at default flags
// (-c 50, one connection, no deadline), recording into the real recorder.
// It returns the time from the first call to the last, as bare does.
func pulse(tb testing.TB, addr string, n int64, c int) time.Duration {
	return pulseData(tb, addr, n, c, `{"message":"hello"}`, false, plan.EngineGRPC)
}

// pulseH2 is pulse with the h2 engine.
func pulseH2(tb testing.TB, addr string, n int64, c int) time.Duration {
	return pulseData(tb, addr, n, c, `{"message":"hello"}`, false, plan.EngineH2)
}

// pulseTemplated is pulse with a ghz-style templated message and header.
func pulseTemplated(tb testing.TB, addr string, n int64, c int) time.Duration {
	return pulseData(tb, addr, n, c, `[{"id": {{.RequestNumber}}, "message": "{{randomString 8}}"}]`, true, plan.EngineGRPC)
}

func pulseData(tb testing.TB, addr string, n int64, c int, body string, templated bool, engine string) time.Duration {
	md := pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName("Unary")
	reqs, err := data.NewRequests(md.Input(), []byte(body), map[bool]data.Templating{true: data.Templated}[templated], nil)
	if err != nil {
		tb.Fatal(err)
	}
	opts := plan.Options{
		Target: plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: 10 * time.Second, Engine: engine},
		Load:   plan.Load{Concurrency: c, Connections: 1, Total: n},
		Call:   plan.Call{Messages: 1, Template: templated, Seed: 1},
	}
	if templated {
		opts.Metadata.Headers = []string{"x-request-id: {{.UUID}}"}
	}
	r, err := runner.New(opts, md, reqs)
	if err != nil {
		tb.Fatal(err)
	}
	rec := &timedRecorder{Recorder: record.New(event.Unary, c)}
	if _, err := r.Run(context.Background(), rec); err != nil {
		tb.Fatal(err)
	}
	if sum := rec.Recorder.Summary(record.Meta{Kind: event.Unary}); sum.OK != n {
		tb.Fatalf("%d calls succeeded, want %d", sum.OK, n)
	}
	return rec.end.Sub(rec.begin)
}

// timedRecorder notes when measurement began and ended, leaving out dialling.
type timedRecorder struct {
	*record.Recorder
	begin, end time.Time
}

func (t *timedRecorder) Begin(at time.Time) { t.begin = at; t.Recorder.Begin(at) }
func (t *timedRecorder) End(at time.Time)   { t.end = at; t.Recorder.End(at) }

// BenchmarkUnary drives the same server at the same concurrency with a bare
// loop of generated stubs and with the runner (static data, and a templated
// message and header); ns/op and allocs/op are per call. Compare the two lines, or see BenchmarkRunnerVsBare for the ratio.
func BenchmarkUnary(b *testing.B) {
	srv := testserver.Start(b)
	for _, side := range []struct {
		name string
		run  func(testing.TB, string, int64, int) time.Duration
	}{{"bare", bare}, {"grpcpulse", pulse}, {"grpcpulse-templated", pulseTemplated}, {"grpcpulse-h2", pulseH2}} {
		b.Run(side.name, func(b *testing.B) {
			b.ReportAllocs()
			d := side.run(b, srv.Addr(), int64(b.N), defaultConcurrency)
			b.ReportMetric(float64(b.N)/d.Seconds(), "calls/s")
		})
	}
}

// BenchmarkRunnerVsBare alternates rounds of the bare loop and the runner
// against one server and reports grpcpulse's calls per second as a
// fraction of the bare loop's (the target is at least 0.95).
func BenchmarkRunnerVsBare(b *testing.B) {
	srv := testserver.Start(b)
	const calls = 20000
	var bareTime, pulseTime time.Duration
	for i := range b.N {
		if i%2 == 0 {
			bareTime += bare(b, srv.Addr(), calls, defaultConcurrency)
			pulseTime += pulse(b, srv.Addr(), calls, defaultConcurrency)
		} else {
			pulseTime += pulse(b, srv.Addr(), calls, defaultConcurrency)
			bareTime += bare(b, srv.Addr(), calls, defaultConcurrency)
		}
	}
	b.ReportMetric(bareTime.Seconds()/pulseTime.Seconds(), "ratio")
	b.ReportMetric(float64(calls*b.N)/bareTime.Seconds(), "bare-calls/s")
	b.ReportMetric(float64(calls*b.N)/pulseTime.Seconds(), "pulse-calls/s")
}
