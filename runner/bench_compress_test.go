package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/cputime"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// BenchmarkClientUnaryGzip is BenchmarkClientUnary with --compress gzip: a
// 600-byte request compressed (once, for the run, by the h2 engine) and a
// 4 KiB response decompressed per call, against the test server in
// another process, with each engine. Use a fixed count, e.g. -benchtime
// 20000x.
func BenchmarkClientUnaryGzip(b *testing.B) {
	addr := serverProcess(b)
	md := pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName("Unary")
	reqs, err := data.NewRequests(md.Input(), []byte(`{"message":"`+strings.Repeat("pulse ", 100)+`"}`), data.Static, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, engine := range []string{plan.EngineGRPC, plan.EngineH2} {
		b.Run(engine, func(b *testing.B) {
			b.ReportAllocs()
			opts := plan.Options{
				Target:   plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: 10 * time.Second, Engine: engine},
				Load:     plan.Load{Concurrency: 50, Connections: 1, Total: int64(b.N)},
				Call:     plan.Call{Messages: 1, Compress: "gzip", Seed: 1},
				Metadata: plan.Metadata{Headers: []string{"x-pulse-size: 4096"}},
			}
			r, err := runner.New(opts, md, reqs)
			if err != nil {
				b.Fatal(err)
			}
			cpu := cputime.Self()
			rec := record.New(event.Unary, 50)
			out, err := r.Run(context.Background(), rec)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64((cputime.Self()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/call")
			if sum := rec.Summary(record.Meta{Kind: event.Unary}); sum.OK != int64(b.N) {
				b.Fatalf("%d calls succeeded, want %d", sum.OK, b.N)
			}
			if p := out.Payloads; p == nil || p.ReceivedWire*4 > p.Received {
				b.Fatalf("payloads %+v: the responses did not come compressed", p)
			}
		})
	}
}
