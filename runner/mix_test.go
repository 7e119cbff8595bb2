package runner_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func pulseMethodDesc(name string) runner.Entry {
	md := pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName(protoreflect.Name(name))
	reqs, err := data.NewRequests(md.Input(), []byte(`{"message":"hello"}`), data.Static, nil)
	if err != nil {
		panic(err)
	}
	return runner.Entry{Method: md, Requests: reqs, Weight: 1}
}

// TestMixCountsPerMethod runs a weighted mix of every kind and checks each
// method's figures against what the server counted.
func TestMixCountsPerMethod(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{plan.EngineGRPC, plan.EngineH2} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			unary, ss, cs, bidi := pulseMethodDesc("Unary"), pulseMethodDesc("ServerStream"), pulseMethodDesc("ClientStream"), pulseMethodDesc("Bidi")
			unary.Weight = 4
			ss.Headers = []string{testserver.MDMessages + ": 4"}
			cs.Weight = 0 // never called
			bidi.Messages = 3
			bidi.Headers = []string{testserver.MDStatus + ": UNAVAILABLE"}
			const n = 400
			opts := plan.Options{
				Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second, Engine: engine},
				Load:   plan.Load{Concurrency: 8, Connections: 2, Total: n},
				Call:   plan.Call{Timeout: 10 * time.Second, Messages: 2},
			}
			r, err := runner.NewMix(opts, []runner.Entry{unary, ss, cs, bidi})
			if err != nil {
				t.Fatal(err)
			}
			kinds := []event.Kind{event.Unary, event.ServerStream, event.ClientStream, event.Bidi}
			rec := record.NewMix(kinds, 8)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := r.Run(ctx, rec); err != nil {
				t.Fatal(err)
			}
			sum := rec.Summary(record.Meta{Mix: []record.MixMethod{{Method: "Unary", Weight: 4}, {Method: "ServerStream", Weight: 1}, {Method: "ClientStream"}, {Method: "Bidi", Weight: 1}}})
			if sum.Count != n || sum.Kind != event.Mixed || len(sum.Methods) != 4 {
				t.Fatalf("count %d kind %s methods %d; want %d mixed 4", sum.Count, sum.Kind, len(sum.Methods), n)
			}
			var total int64
			for _, m := range sum.Methods {
				total += m.Count
				if got := srv.Calls(m.Method); got != m.Count {
					t.Errorf("%s: the report counts %d calls, the server %d", m.Method, m.Count, got)
				}
				if m.Kind.Streaming() && m.Series["stream_duration"].Count != m.Count {
					t.Errorf("%s: %d stream durations for %d calls", m.Method, m.Series["stream_duration"].Count, m.Count)
				}
				if m.Latency.Count != m.Count {
					t.Errorf("%s: latency counts %d of %d calls", m.Method, m.Latency.Count, m.Count)
				}
			}
			if total != n {
				t.Errorf("the methods add up to %d calls, want %d", total, n)
			}
			u, s, c, b := sum.Methods[0], sum.Methods[1], sum.Methods[2], sum.Methods[3]
			if u.Count < s.Count || s.Count == 0 || b.Count == 0 || c.Count != 0 {
				t.Errorf("counts unary %d server %d client %d bidi %d: want weight 4:1:0:1", u.Count, s.Count, c.Count, b.Count)
			}
			if u.OK != u.Count || u.Messages.Sent != u.Count {
				t.Errorf("unary: ok %d sent %d of %d", u.OK, u.Messages.Sent, u.Count)
			}
			if got := s.Series["msg_gap"].Count; got != 3*s.Count || s.Messages.Received != 4*s.Count {
				t.Errorf("server stream: %d gaps, %d received for %d streams; want 3 and 4 each", got, s.Messages.Received, s.Count)
			}
			if b.Errors != b.Count || len(b.StatusCodes) != 1 || b.StatusCodes[0].Code != event.CodeUnavailable {
				t.Errorf("bidi: errors %d of %d, codes %v; want all UNAVAILABLE", b.Errors, b.Count, b.StatusCodes)
			}
			if sum.Errors != b.Count || sum.OK != u.Count+s.Count {
				t.Errorf("totals: ok %d errors %d; want the methods' sums", sum.OK, sum.Errors)
			}
		})
	}
}

// pulseMix is pulse with a mix of two unary entries of equal weight (the
// same method twice, recorded apart): the cost of picking a method per call
// and of the per-method shards.
func pulseMix(tb testing.TB, addr string, n int64, c int) time.Duration {
	a, b := pulseMethodDesc("Unary"), pulseMethodDesc("Unary")
	opts := plan.Options{
		Target: plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load:   plan.Load{Concurrency: c, Connections: 1, Total: n},
		Call:   plan.Call{Messages: 1},
	}
	r, err := runner.NewMix(opts, []runner.Entry{a, b})
	if err != nil {
		tb.Fatal(err)
	}
	rec := &timedRecorder{Recorder: record.NewMix([]event.Kind{event.Unary, event.Unary}, c)}
	if _, err := r.Run(context.Background(), rec); err != nil {
		tb.Fatal(err)
	}
	if sum := rec.Recorder.Summary(record.Meta{}); sum.OK != n || sum.Methods[0].Count+sum.Methods[1].Count != n {
		tb.Fatalf("%d calls succeeded, want %d", sum.OK, n)
	}
	return rec.end.Sub(rec.begin)
}

// BenchmarkMix is BenchmarkUnary's grpcpulse side with a two-method mix.
func BenchmarkMix(b *testing.B) {
	srv := testserver.Start(b)
	b.ReportAllocs()
	d := pulseMix(b, srv.Addr(), int64(b.N), defaultConcurrency)
	b.ReportMetric(float64(b.N)/d.Seconds(), "calls/s")
}

// BenchmarkMixVsSingle alternates rounds of a single-method run and of a
// two-method mix against one server and reports the mix's calls per second
// as a fraction of the single method's (the target is at least 0.97).
func BenchmarkMixVsSingle(b *testing.B) {
	srv := testserver.Start(b)
	const calls = 20000
	var single, mix time.Duration
	for i := range b.N {
		if i%2 == 0 {
			single += pulse(b, srv.Addr(), calls, defaultConcurrency)
			mix += pulseMix(b, srv.Addr(), calls, defaultConcurrency)
		} else {
			mix += pulseMix(b, srv.Addr(), calls, defaultConcurrency)
			single += pulse(b, srv.Addr(), calls, defaultConcurrency)
		}
	}
	b.ReportMetric(single.Seconds()/mix.Seconds(), "ratio")
	b.ReportMetric(float64(calls*b.N)/single.Seconds(), "single-calls/s")
	b.ReportMetric(float64(calls*b.N)/mix.Seconds(), "mix-calls/s")
}
