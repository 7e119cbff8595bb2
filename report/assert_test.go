package report

import (
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/runner"
)

// gateCall is a call of a hand-made run: its latency, code and, for
// streams, its per-message measurements.
type gateCall struct {
	latency  time.Duration
	code     codes.Code
	messages map[runner.Series][]time.Duration
}

// recordGateCalls records calls through a Recorder of kind, all due and
// started at t0, and ends the run at t0+length.
func recordGateCalls(kind runner.Kind, calls []gateCall, length time.Duration) *Recorder {
	r := newTestRecorder(kind, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	for _, c := range calls {
		for s, ds := range c.messages {
			for _, d := range ds {
				w.Message(s, d)
			}
		}
		w.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0.Add(c.latency), Code: c.code, Sent: 1, Received: 1})
	}
	r.End(t0.Add(length))
	return r
}

func gateMeta(kind runner.Kind) Meta {
	return Meta{Target: "127.0.0.1:50051", Method: "grpcpulse.test.v1.Pulse/Gate", Kind: kind,
		Options: runner.Options{Load: runner.Load{Concurrency: 1, Connections: 1}, Call: runner.Call{Messages: 1}}}
}

// gateSummary is 100 unary calls of 1 ms to 100 ms over 10 s; call 100
// (100 ms) failed UNAVAILABLE.
func gateSummary() *Summary {
	var calls []gateCall
	for i := 1; i <= 100; i++ {
		c := gateCall{latency: time.Duration(i) * time.Millisecond}
		if i == 100 {
			c.code = codes.Unavailable
		}
		calls = append(calls, c)
	}
	return Summarize(recordGateCalls(runner.Unary, calls, 10*time.Second), gateMeta(runner.Unary))
}

func TestParseAssertions(t *testing.T) {
	tests := []struct {
		expr      string
		kind      runner.Kind
		name      string // canonical metric
		op        string
		threshold float64
		class     metricClass
	}{
		{"p(99)<250ms", runner.Unary, "p(99)", "<", 250e6, classDuration},
		{"p(99.9)<=1s", runner.Unary, "p(99.9)", "<=", 1e9, classDuration},
		{" p(99) < 250ms ", runner.Unary, "p(99)", "<", 250e6, classDuration},
		{"P(50)>=1.5ms", runner.Unary, "p(50)", ">=", 1.5e6, classDuration},
		{"avg<20ms", runner.Unary, "avg", "<", 20e6, classDuration},
		{"min>500us", runner.Unary, "min", ">", 500e3, classDuration},
		{"min>500µs", runner.Unary, "min", ">", 500e3, classDuration},
		{"min>500μs", runner.Unary, "min", ">", 500e3, classDuration},
		{"max<2s", runner.Unary, "max", "<", 2e9, classDuration},
		{"med==3ms", runner.Unary, "p(50)", "==", 3e6, classDuration},
		{"max!=1m30s", runner.Unary, "max", "!=", 90e9, classDuration},
		{"latency.p(99)<1s", runner.Unary, "p(99)", "<", 1e9, classDuration},
		{"service_time.avg<1s", runner.Unary, "service_time.avg", "<", 1e9, classDuration},
		{"msg_rtt.p(99)<20ms", runner.Bidi, "msg_rtt.p(99)", "<", 20e6, classDuration},
		{"stream.msg_rtt.p(99)<20ms", runner.Bidi, "msg_rtt.p(99)", "<", 20e6, classDuration},
		{"first_message.p(50)<5ms", runner.ServerStream, "first_message.p(50)", "<", 5e6, classDuration},
		{"msg_gap.max<1s", runner.ServerStream, "msg_gap.max", "<", 1e9, classDuration},
		{"send_time.p(90)<1ms", runner.ClientStream, "send_time.p(90)", "<", 1e6, classDuration},
		{"stream_duration.p(99)<2s", runner.ClientStream, "stream_duration.p(99)", "<", 2e9, classDuration},
		{"msg_rtt.p(99)<20ms", "", "msg_rtt.p(99)", "<", 20e6, classDuration},
		{"error_rate<0.1%", runner.Unary, "error_rate", "<", 0.001, classRate},
		{"error_rate<0.001", runner.Unary, "error_rate", "<", 0.001, classRate},
		{"error_rate==0", runner.Unary, "error_rate", "==", 0, classRate},
		{"rps>=1000", runner.Unary, "rps", ">=", 1000, classRPS},
		{"rps>=1000/s", runner.Unary, "rps", ">=", 1000, classRPS},
		{"count>=10000", runner.Unary, "count", ">=", 10000, classCount},
		{"ok>0", runner.Unary, "ok", ">", 0, classCount},
		{"errors==0", runner.Unary, "errors", "==", 0, classCount},
		{"status=UNAVAILABLE count==0", runner.Unary, "status=UNAVAILABLE count", "==", 0, classCount},
		{"status=unavailable   rate<1%", runner.Unary, "status=UNAVAILABLE rate", "<", 0.01, classRate},
		{"code=DeadlineExceeded count<5", runner.Unary, "status=DEADLINE_EXCEEDED count", "<", 5, classCount},
		{"status=OK rate>=99.9%", runner.Unary, "status=OK rate", ">=", 0.999, classRate},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			as, err := ParseAssertions([]string{tt.expr}, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			a := as[0]
			if a.Expr != strings.TrimSpace(tt.expr) || a.metric.name != tt.name || a.op != tt.op ||
				!nearFloat(a.threshold, tt.threshold) || a.metric.class != tt.class {
				t.Errorf("got expr %q metric %q op %q threshold %v class %v, want %q %q %v %v",
					a.Expr, a.metric.name, a.op, a.threshold, a.metric.class, tt.name, tt.op, tt.threshold, tt.class)
			}
		})
	}
}

func nearFloat(a, b float64) bool { return a == b || (a-b)*(a-b) < 1e-18 }

func TestParseAssertionsRefuses(t *testing.T) {
	tests := []struct {
		expr string
		kind runner.Kind
		want string // in the error
	}{
		{"p(99)<250", runner.Unary, "no unit"},
		{"p(99)<0", runner.Unary, "no unit"},
		{"avg<twenty", runner.Unary, "bad duration"},
		{"p(99)<-5ms", runner.Unary, "negative"},
		{"p99<250ms", runner.Unary, "write percentiles as p(99)"},
		{"p(0)<1s", runner.Unary, "bad percentile"},
		{"p(101)<1s", runner.Unary, "bad percentile"},
		{"p(abc)<1s", runner.Unary, "bad percentile"},
		{"latency<1s", runner.Unary, "needs a statistic"},
		{"msg_rtt<1s", runner.Bidi, "needs a statistic"},
		{"p95<1s", runner.Unary, "p(95)"},
		{"mean<1s", runner.Unary, "unknown metric"},
		{"throughput>5", runner.Unary, "unknown metric"},
		{"msg_rtt.p(99)<20ms", runner.Unary, "a unary method has no msg_rtt series"},
		{"msg_rtt.p(99)<20ms", runner.ServerStream, "has no msg_rtt"},
		{"first_message.p(50)<5ms", runner.ClientStream, "has no first_message"},
		{"send_time.p(50)<5ms", runner.ServerStream, "has no send_time"},
		{"stream_duration.max<5s", runner.Unary, "has no stream_duration"},
		{"bogus.p(99)<1s", runner.Bidi, "unknown series"},
		{"error_rate<5", runner.Unary, "bad rate"},
		{"error_rate<150%", runner.Unary, "bad percentage"},
		{"error_rate<abc", runner.Unary, "bad rate"},
		{"rps>fast", runner.Unary, "bad number"},
		{"count>=10k", runner.Unary, "bad number"},
		{"count>=-1", runner.Unary, "negative"},
		{"p(99)", runner.Unary, "no comparison"},
		{"p(99)=250ms", runner.Unary, "use =="},
		{"p(99)!250ms", runner.Unary, "use !="},
		{"p(99)<", runner.Unary, "no value"},
		{"<250ms", runner.Unary, "no metric"},
		{"status=NOPE count==0", runner.Unary, "not a status code"},
		{"status=UNAVAILABLE p(99)<1s", runner.Unary, "takes count or rate"},
		{"status=UNAVAILABLE", runner.Unary, "no comparison"},
		{"status= count==0", runner.Unary, "names no code"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseAssertions([]string{tt.expr}, tt.kind)
			if err == nil {
				t.Fatalf("ParseAssertions(%q) succeeded", tt.expr)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.expr) {
				t.Errorf("error %q should name the expression and say %q", err, tt.want)
			}
		})
	}
}

func TestParseAssertionsNamesEveryBadOne(t *testing.T) {
	_, err := ParseAssertions([]string{"p(99)<250", "p(99)<250ms", "rps>x"}, runner.Unary)
	if err == nil || !strings.Contains(err.Error(), `"p(99)<250"`) || !strings.Contains(err.Error(), `"rps>x"`) ||
		strings.Contains(err.Error(), `"p(99)<250ms"`) {
		t.Errorf("error = %v, want both bad expressions and not the good one", err)
	}
	as, err := ParseAssertions(nil, runner.Unary)
	if err != nil || len(as) != 0 {
		t.Errorf("no expressions: %v, %v", as, err)
	}
}

func TestEvaluateAssertions(t *testing.T) {
	s := gateSummary()
	// At 3 significant digits 50 ms is recorded as 50.0 ms and read back as
	// the top of its bucket (50.003967 ms): comparisons are at that
	// precision.
	tests := []struct {
		expr  string
		pass  bool
		value string
	}{
		{"p(50)<=50ms", true, "50ms"},
		{"p(50)>=50ms", true, "50ms"},
		{"p(50)==50ms", true, "50ms"},
		{"p(50)<50ms", false, "50ms"},
		{"p(50)>50ms", false, "50ms"},
		{"p(50)!=50ms", false, "50ms"},
		{"p(50)==50.1ms", false, "50ms"},
		{"p(50)!=50.1ms", true, "50ms"},
		{"p(50)<50.1ms", true, "50ms"},
		{"med==50ms", true, "50ms"},
		{"p(99)<=99ms", true, "99ms"},
		{"p(99)<99ms", false, "99ms"},
		{"p(99.9)==100ms", true, "100ms"},
		{"max==100ms", true, "100ms"},
		{"max<2s", true, "100ms"},
		{"min==1ms", true, "1ms"},
		{"min>1ms", false, "1ms"},
		{"avg>50ms", true, "50.5ms"},
		{"avg<51ms", true, "50.5ms"},
		{"service_time.p(50)==50ms", true, "50ms"},
		{"error_rate<=1%", true, "1%"},
		{"error_rate<1%", false, "1%"},
		{"error_rate==0.01", true, "1%"},
		{"error_rate<0.1%", false, "1%"},
		{"error_rate>0", true, "1%"},
		{"rps>=10", true, "10/s"},
		{"rps>10", false, "10/s"},
		{"rps==10", true, "10/s"},
		{"count==100", true, "100"},
		{"count>=10000", false, "100"},
		{"ok==99", true, "99"},
		{"errors<1", false, "1"},
		{"errors<=1", true, "1"},
		{"status=UNAVAILABLE count==1", true, "1"},
		{"status=UNAVAILABLE count==0", false, "1"},
		{"status=UNAVAILABLE rate<1%", false, "1%"},
		{"status=UNAVAILABLE rate<=1%", true, "1%"},
		{"status=DEADLINE_EXCEEDED count==0", true, "0"},
		{"status=OK rate>=99%", true, "99%"},
		{"status=OK rate>99%", false, "99%"},
	}
	exprs := make([]string, len(tests))
	for i, tt := range tests {
		exprs[i] = tt.expr
	}
	as, err := ParseAssertions(exprs, runner.Unary)
	if err != nil {
		t.Fatal(err)
	}
	got := EvaluateAssertions(s, as)
	if len(got) != len(tests) {
		t.Fatalf("%d results for %d assertions", len(got), len(tests))
	}
	for i, tt := range tests {
		r := got[i]
		if r.Expr != tt.expr || r.Pass != tt.pass || r.Value != tt.value {
			t.Errorf("%s: pass %v value %q (measured %v, threshold %v), want pass %v value %q",
				tt.expr, r.Pass, r.Value, r.Measured, r.Threshold, tt.pass, tt.value)
		}
	}
	if r := got[0]; r.Measured != float64(s.Latency.P50) || r.Threshold != 50e6 {
		t.Errorf("measured %v threshold %v, want ns", r.Measured, r.Threshold)
	}
	if r := got[20]; !nearFloat(r.Measured, 0.01) || !nearFloat(r.Threshold, 0.01) {
		t.Errorf("error_rate measured %v threshold %v, want fractions", r.Measured, r.Threshold)
	}
}

func TestEvaluateAssertionsStreams(t *testing.T) {
	var calls []gateCall
	for i := 1; i <= 10; i++ {
		calls = append(calls, gateCall{latency: 100 * time.Millisecond, messages: map[runner.Series][]time.Duration{
			runner.SeriesMsgRTT:       {time.Duration(i) * time.Millisecond},
			runner.SeriesFirstMessage: {2 * time.Millisecond},
		}})
	}
	s := Summarize(recordGateCalls(runner.Bidi, calls, time.Second), gateMeta(runner.Bidi))
	as, err := ParseAssertions([]string{
		"msg_rtt.p(50)==5ms", "msg_rtt.max<=10ms", "msg_rtt.p(99)<10ms", "first_message.avg==2ms",
		"msg_gap.p(99)<1s", "stream_duration.p(99)==100ms", "send_time.p(99)<1s",
	}, runner.Bidi)
	if err != nil {
		t.Fatal(err)
	}
	got := EvaluateAssertions(s, as)
	want := []struct {
		pass  bool
		value string
	}{{true, "5ms"}, {true, "10ms"}, {false, "10ms"}, {true, "2ms"}, {false, "no data"}, {true, "100ms"}, {false, "no data"}}
	for i, w := range want {
		if got[i].Pass != w.pass || got[i].Value != w.value {
			t.Errorf("%s: pass %v value %q, want %v %q", got[i].Expr, got[i].Pass, got[i].Value, w.pass, w.value)
		}
	}
}

func TestEvaluateAssertionsWithoutData(t *testing.T) {
	s := Summarize(recordGateCalls(runner.Unary, nil, time.Second), gateMeta(runner.Unary))
	as, err := ParseAssertions([]string{"p(99)<1s", "error_rate<1%", "status=OK rate>50%", "count==0", "rps==0", "msg_rtt.p(99)<1s"}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := EvaluateAssertions(s, as)
	want := []bool{false, false, false, true, true, false}
	for i, w := range want {
		if got[i].Pass != w {
			t.Errorf("%s: pass %v (%s), want %v", got[i].Expr, got[i].Pass, got[i].Value, w)
		}
	}
	if got[0].Value != "no data" || got[5].Value != "no data" {
		t.Errorf("values %q, %q, want no data", got[0].Value, got[5].Value)
	}
	if r := EvaluateAssertions(nil, as[:1]); r[0].Pass {
		t.Errorf("an assertion passed on no summary")
	}
}

func TestEvaluateAssertionsAfterReadJSON(t *testing.T) {
	s := gateSummary()
	back := jsonRoundTrip(t, s)
	as, err := ParseAssertions([]string{"p(95)==95ms", "p(99.9)<=100ms", "avg<51ms", "status=UNAVAILABLE count==1"}, runner.Unary)
	if err != nil {
		t.Fatal(err)
	}
	want, got := EvaluateAssertions(s, as), EvaluateAssertions(back, as)
	for i := range want {
		if got[i] != want[i] || !got[i].Pass {
			t.Errorf("after ReadJSON %+v, before %+v", got[i], want[i])
		}
	}
}

func TestAssertionsInJSON(t *testing.T) {
	s := gateSummary()
	as, err := ParseAssertions([]string{"p(99)<250ms", "error_rate<0.1%"}, runner.Unary)
	if err != nil {
		t.Fatal(err)
	}
	s.Assertions = EvaluateAssertions(s, as)
	back := jsonRoundTrip(t, s)
	if len(back.Assertions) != 2 || back.Assertions[0] != s.Assertions[0] || back.Assertions[1] != s.Assertions[1] {
		t.Errorf("assertions read back %+v, want %+v", back.Assertions, s.Assertions)
	}
	if back.Assertions[1].Pass || back.Assertions[1].Value != "1%" {
		t.Errorf("error_rate<0.1%% read back as %+v", back.Assertions[1])
	}
	s.Assertions = nil
	if strings.Contains(reportJSON(t, s), `"assertions"`) {
		t.Errorf("a report without assertions has an assertions key")
	}
}

func TestAssertionAbortable(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"p(99)<250ms", true},
		{"p(99)>1ms", true},
		{"error_rate<1%", true},
		{"rps>=1000", true},
		{"max<2s", true},
		{"count>=10000", false},
		{"count<10000", true},
		{"errors<=5", true},
		{"errors==0", true},
		{"errors==3", false},
		{"ok>100", false},
		{"status=UNAVAILABLE count==0", true},
		{"status=UNAVAILABLE count>0", false},
		{"status=UNAVAILABLE rate<1%", true},
	}
	for _, tt := range tests {
		as, err := ParseAssertions([]string{tt.expr}, runner.Unary)
		if err != nil {
			t.Fatal(err)
		}
		if got := as[0].Abortable(); got != tt.want {
			t.Errorf("%s: Abortable() = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

// TestSummarizeSoFar reads the run while workers record (run it with
// -race): every partial summary is consistent, and the last one sees every
// call.
func TestSummarizeSoFar(t *testing.T) {
	r := newTestRecorder(runner.Bidi, 8)
	meta := gateMeta(runner.Bidi)
	if s := r.SummarizeSoFar(meta); s.Count != 0 || s.Duration != 0 || s.Latency.Count != 0 {
		t.Errorf("before Begin: count %d duration %v", s.Count, s.Duration)
	}
	r.Begin(t0)
	const workers, calls = 8, 300
	var wg sync.WaitGroup
	for id := range workers {
		w := r.Worker(id, id%2)
		wg.Go(func() {
			for i := range calls {
				w.Message(runner.SeriesMsgRTT, time.Duration(i+1)*time.Microsecond)
				code := codes.OK
				if i%10 == 0 {
					code = codes.Unavailable
				}
				w.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0.Add(time.Millisecond), Code: code, Sent: 1, Received: 1})
			}
		})
	}
	as, err := ParseAssertions([]string{"p(99)<1s", "msg_rtt.p(99)<1s"}, runner.Bidi)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		s := r.SummarizeSoFar(meta)
		if s.OK+s.Errors != s.Count || s.Latency.Count != s.Count || len(s.Findings) != 0 {
			t.Fatalf("inconsistent partial summary: count %d ok %d errors %d latency %d", s.Count, s.OK, s.Errors, s.Latency.Count)
		}
		for _, res := range EvaluateAssertions(s, as) {
			if s.Count > 0 && !res.Pass {
				t.Fatalf("%s failed: %s", res.Expr, res.Value)
			}
		}
	}
	s := r.SummarizeSoFar(meta)
	if s.Count != workers*calls || s.Series["msg_rtt"].Count != workers*calls {
		t.Errorf("count %d, msg_rtt %d, want %d", s.Count, s.Series["msg_rtt"].Count, workers*calls)
	}
	r.End(t0.Add(time.Second))
	if s := r.SummarizeSoFar(meta); s.Duration != time.Second || s.RPS != workers*calls {
		t.Errorf("after End: duration %v rps %v", s.Duration, s.RPS)
	}
}

// jsonOf is s as WriteJSON writes it.
func reportJSON(t *testing.T, s *Summary) string {
	t.Helper()
	var b strings.Builder
	if err := WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// roundTrip writes s and reads it back.
func jsonRoundTrip(t *testing.T, s *Summary) *Summary {
	t.Helper()
	back, err := ReadJSON(strings.NewReader(reportJSON(t, s)))
	if err != nil {
		t.Fatal(err)
	}
	return back
}
