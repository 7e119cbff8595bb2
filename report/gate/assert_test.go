package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// gateSummary is 100 unary calls of 1 ms to 100 ms over 10 s; call 100
// (100 ms) failed UNAVAILABLE.
func gateSummary() *report.Summary {
	var calls []gateCall
	for i := 1; i <= 100; i++ {
		c := gateCall{latency: time.Duration(i) * time.Millisecond}
		if i == 100 {
			c.code = event.CodeUnavailable
		}
		calls = append(calls, c)
	}
	return gateSummaryOf(event.Unary, calls, 10*time.Second)
}

func TestParseAssertions(t *testing.T) {
	tests := []struct {
		expr      string
		kind      event.Kind
		name      string // canonical metric
		op        string
		threshold float64
		class     metricClass
	}{
		{"p(99)<250ms", event.Unary, "p(99)", "<", 250e6, classDuration},
		{"p(99.9)<=1s", event.Unary, "p(99.9)", "<=", 1e9, classDuration},
		{" p(99) < 250ms ", event.Unary, "p(99)", "<", 250e6, classDuration},
		{"P(50)>=1.5ms", event.Unary, "p(50)", ">=", 1.5e6, classDuration},
		{"avg<20ms", event.Unary, "avg", "<", 20e6, classDuration},
		{"min>500us", event.Unary, "min", ">", 500e3, classDuration},
		{"min>500µs", event.Unary, "min", ">", 500e3, classDuration},
		{"min>500μs", event.Unary, "min", ">", 500e3, classDuration},
		{"max<2s", event.Unary, "max", "<", 2e9, classDuration},
		{"med==3ms", event.Unary, "p(50)", "==", 3e6, classDuration},
		{"max!=1m30s", event.Unary, "max", "!=", 90e9, classDuration},
		{"latency.p(99)<1s", event.Unary, "p(99)", "<", 1e9, classDuration},
		{"service_time.avg<1s", event.Unary, "service_time.avg", "<", 1e9, classDuration},
		{"msg_rtt.p(99)<20ms", event.Bidi, "msg_rtt.p(99)", "<", 20e6, classDuration},
		{"stream.msg_rtt.p(99)<20ms", event.Bidi, "msg_rtt.p(99)", "<", 20e6, classDuration},
		{"first_message.p(50)<5ms", event.ServerStream, "first_message.p(50)", "<", 5e6, classDuration},
		{"msg_gap.max<1s", event.ServerStream, "msg_gap.max", "<", 1e9, classDuration},
		{"send_time.p(90)<1ms", event.ClientStream, "send_time.p(90)", "<", 1e6, classDuration},
		{"stream_duration.p(99)<2s", event.ClientStream, "stream_duration.p(99)", "<", 2e9, classDuration},
		{"msg_rtt.p(99)<20ms", "", "msg_rtt.p(99)", "<", 20e6, classDuration},
		{"error_rate<0.1%", event.Unary, "error_rate", "<", 0.001, classRate},
		{"error_rate<0.001", event.Unary, "error_rate", "<", 0.001, classRate},
		{"error_rate==0", event.Unary, "error_rate", "==", 0, classRate},
		{"rps>=1000", event.Unary, "rps", ">=", 1000, classRPS},
		{"rps>=1000/s", event.Unary, "rps", ">=", 1000, classRPS},
		{"count>=10000", event.Unary, "count", ">=", 10000, classCount},
		{"ok>0", event.Unary, "ok", ">", 0, classCount},
		{"errors==0", event.Unary, "errors", "==", 0, classCount},
		{"status=UNAVAILABLE count==0", event.Unary, "status=UNAVAILABLE count", "==", 0, classCount},
		{"status=unavailable   rate<1%", event.Unary, "status=UNAVAILABLE rate", "<", 0.01, classRate},
		{"code=DeadlineExceeded count<5", event.Unary, "status=DEADLINE_EXCEEDED count", "<", 5, classCount},
		{"status=OK rate>=99.9%", event.Unary, "status=OK rate", ">=", 0.999, classRate},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			as, err := parseFor([]string{tt.expr}, tt.kind)
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
		kind event.Kind
		want string // in the error
	}{
		{"p(99)<250", event.Unary, "no unit"},
		{"p(99)<0", event.Unary, "no unit"},
		{"avg<twenty", event.Unary, "bad duration"},
		{"p(99)<-5ms", event.Unary, "negative"},
		{"p99<250ms", event.Unary, "write percentiles as p(99)"},
		{"p(0)<1s", event.Unary, "bad percentile"},
		{"p(NaN)<1s", event.Unary, "bad percentile"},
		{"p(Inf)<1s", event.Unary, "bad percentile"},
		{"rps>NaN", event.Unary, "bad number"},
		{"rps>Inf", event.Unary, "bad number"},
		{"count<1e400", event.Unary, "bad number"},
		{"error_rate<NaN", event.Unary, "bad rate"},
		{"error_rate<NaN%", event.Unary, "bad percentage"},
		{"p(99)<NaNms", event.Unary, "bad duration"},
		{"p(101)<1s", event.Unary, "bad percentile"},
		{"p(abc)<1s", event.Unary, "bad percentile"},
		{"latency<1s", event.Unary, "needs a statistic"},
		{"msg_rtt<1s", event.Bidi, "needs a statistic"},
		{"p95<1s", event.Unary, "p(95)"},
		{"mean<1s", event.Unary, "unknown metric"},
		{"throughput>5", event.Unary, "unknown metric"},
		{"msg_rtt.p(99)<20ms", event.Unary, "a unary method has no msg_rtt series"},
		{"msg_rtt.p(99)<20ms", event.ServerStream, "has no msg_rtt"},
		{"first_message.p(50)<5ms", event.ClientStream, "has no first_message"},
		{"send_time.p(50)<5ms", event.ServerStream, "has no send_time"},
		{"stream_duration.max<5s", event.Unary, "has no stream_duration"},
		{"bogus.p(99)<1s", event.Bidi, "unknown series"},
		{"error_rate<5", event.Unary, "bad rate"},
		{"error_rate<150%", event.Unary, "bad percentage"},
		{"error_rate<abc", event.Unary, "bad rate"},
		{"rps>fast", event.Unary, "bad number"},
		{"count>=10k", event.Unary, "bad number"},
		{"count>=-1", event.Unary, "negative"},
		{"p(99)", event.Unary, "no comparison"},
		{"p(99)=250ms", event.Unary, "use =="},
		{"p(99)!250ms", event.Unary, "use !="},
		{"p(99)<", event.Unary, "no value"},
		{"<250ms", event.Unary, "no metric"},
		{"status=NOPE count==0", event.Unary, "not a status code"},
		{"status=UNAVAILABLE p(99)<1s", event.Unary, "takes count or rate"},
		{"status=UNAVAILABLE", event.Unary, "no comparison"},
		{"status= count==0", event.Unary, "names no code"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := parseFor([]string{tt.expr}, tt.kind)
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
	_, err := parseFor([]string{"p(99)<250", "p(99)<250ms", "rps>x"}, event.Unary)
	if err == nil || !strings.Contains(err.Error(), `"p(99)<250"`) || !strings.Contains(err.Error(), `"rps>x"`) ||
		strings.Contains(err.Error(), `"p(99)<250ms"`) {
		t.Errorf("error = %v, want both bad expressions and not the good one", err)
	}
	as, err := parseFor(nil, event.Unary)
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
	as, err := parseFor(exprs, event.Unary)
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
		calls = append(calls, gateCall{latency: 100 * time.Millisecond, messages: map[event.Series][]time.Duration{
			event.SeriesMsgRTT:       {time.Duration(i) * time.Millisecond},
			event.SeriesFirstMessage: {2 * time.Millisecond},
		}})
	}
	s := gateSummaryOf(event.Bidi, calls, time.Second)
	as, err := parseFor([]string{
		"msg_rtt.p(50)==5ms", "msg_rtt.max<=10ms", "msg_rtt.p(99)<10ms", "first_message.avg==2ms",
		"msg_gap.p(99)<1s", "stream_duration.p(99)==100ms", "send_time.p(99)<1s",
	}, event.Bidi)
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
	s := gateSummaryOf(event.Unary, nil, time.Second)
	as, err := parseFor([]string{"p(99)<1s", "error_rate<1%", "status=OK rate>50%", "count==0", "rps==0", "msg_rtt.p(99)<1s"}, "")
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
	as, err := parseFor([]string{"p(95)==95ms", "p(99.9)<=100ms", "avg<51ms", "status=UNAVAILABLE count==1"}, event.Unary)
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
	as, err := parseFor([]string{"p(99)<250ms", "error_rate<0.1%"}, event.Unary)
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
		as, err := parseFor([]string{tt.expr}, event.Unary)
		if err != nil {
			t.Fatal(err)
		}
		if got := as[0].Abortable(); got != tt.want {
			t.Errorf("%s: Abortable() = %v, want %v", tt.expr, got, tt.want)
		}
	}
}
