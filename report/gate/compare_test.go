package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func mustLimits(t *testing.T, specs ...string) []Limit {
	t.Helper()
	ls, err := ParseLimits(specs)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		spec     string
		metric   string
		relative bool
		value    float64
	}{
		{"p(99)=10%", "p(99)", true, 0.10},
		{" p(99.9) = 25% ", "p(99.9)", true, 0.25},
		{"p(99)=5ms", "p(99)", false, 5e6},
		{"med=0%", "p(50)", true, 0},
		{"latency.max=1s", "max", false, 1e9},
		{"msg_rtt.p(99)=20%", "msg_rtt.p(99)", true, 0.20},
		{"error_rate=0.5%", "error_rate", false, 0.005},
		{"error_rate=0.005", "error_rate", false, 0.005},
		{"rps=5%", "rps", true, 0.05},
		{"rps=50", "rps", false, 50},
		{"count=1%", "count", true, 0.01},
		{"errors=10", "errors", false, 10},
		{"status=UNAVAILABLE rate=1%", "status=UNAVAILABLE rate", false, 0.01},
		{"status=UNAVAILABLE count=3", "status=UNAVAILABLE count", false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			l := mustLimits(t, tt.spec)[0]
			if l.Spec != strings.TrimSpace(tt.spec) || l.metric.name != tt.metric || l.relative != tt.relative || !nearFloat(l.value, tt.value) {
				t.Errorf("got metric %q relative %v value %v, want %q %v %v", l.metric.name, l.relative, l.value, tt.metric, tt.relative, tt.value)
			}
		})
	}
}

func TestParseLimitsRefuses(t *testing.T) {
	tests := []struct {
		spec string
		want string
	}{
		{"p(99)", "want METRIC=MAX"},
		{"p(99)<10%", "want METRIC=MAX"},
		{"p(99)<=10%", "want METRIC=MAX"},
		{"p(99)==10%", "want METRIC=MAX"},
		{"p(99)=10", "no unit"},
		{"p(99)=-5%", "bad percentage"},
		{"p(99)=fast", "bad duration"},
		{"p99=10%", "p(99)"},
		{"bogus.p(99)=10%", "unknown series"},
		{"error_rate=2", "bad rate"},
		{"rps=lots", "bad number"},
		{"p(99)=NaN%", "bad percentage"},
		{"p(99)=nan %", "bad percentage"},
		{"p(99)=Inf%", "bad percentage"},
		{"p(99)=1e400%", "bad percentage"},
		{"p(NaN)=10%", "bad percentile"},
		{"rps=NaN", "bad number"},
		{"rps=+Inf", "bad number"},
		{"error_rate=NaN", "bad rate"},
		{"error_rate=NaN%", "bad percentage"},
		{"count=NaN%", "bad percentage"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseLimits([]string{tt.spec})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.spec) {
				t.Errorf("error %v, want one naming %q and saying %q", err, tt.spec, tt.want)
			}
		})
	}
	if _, err := ParseLimits([]string{"p(99)=10%", "latency.p(99)=5ms"}); err == nil || !strings.Contains(err.Error(), "a second limit for p(99)") {
		t.Errorf("two limits on one metric: %v", err)
	}
}

func TestLimitExceeded(t *testing.T) {
	tests := []struct {
		spec      string
		base, cur float64
		want      bool
	}{
		{"p(99)=10%", 100e6, 110e6, false}, // exactly at the limit
		{"p(99)=10%", 100e6, 111e6, true},
		{"p(99)=10%", 100e6, 50e6, false},     // faster is no regression
		{"p(99)=0%", 100e6, 100.005e6, false}, // one histogram bucket
		{"p(99)=0%", 100e6, 101e6, true},
		{"p(99)=10%", 0, 1e6, true}, // from nothing to something
		{"p(99)=10%", 0, 0, false},
		{"p(99)=5ms", 100e6, 105e6, false},
		{"p(99)=5ms", 100e6, 106e6, true},
		{"error_rate=0.5%", 0.001, 0.006, false},
		{"error_rate=0.5%", 0.001, 0.0061, true},
		{"error_rate=0.5%", 0.01, 0, false},
		{"rps=5%", 1000, 950, false},
		{"rps=5%", 1000, 949, true},
		{"rps=5%", 1000, 2000, false},
		{"rps=50", 1000, 949, true},
		{"count=10%", 1000, 899, true},
		{"ok=10%", 1000, 950, false},
		{"errors=10", 5, 15, false},
		{"errors=10", 5, 16, true},
		{"status=OK rate=1%", 0.99, 0.97, true},
		{"status=OK rate=1%", 0.99, 1, false},
		{"status=UNAVAILABLE count=0", 0, 1, true},
	}
	for _, tt := range tests {
		l := mustLimits(t, tt.spec)[0]
		if got := l.exceeded(tt.base, tt.cur); got != tt.want {
			t.Errorf("%s from %v to %v: exceeded %v, want %v", tt.spec, tt.base, tt.cur, got, tt.want)
		}
	}
}

// stalledSummary is gateSummary's run with a stall: 3 of the calls took 2s.
func stalledSummary() *report.Summary {
	var calls []gateCall
	for i := 1; i <= 100; i++ {
		c := gateCall{latency: time.Duration(i) * time.Millisecond}
		if i%40 == 0 || i == 99 {
			c.latency = 2 * time.Second
		}
		calls = append(calls, c)
	}
	calls[99].code = 14 // UNAVAILABLE, as in gateSummary
	return gateSummaryOf(event.Unary, calls, 10*time.Second)
}

func TestCompareWithItselfPasses(t *testing.T) {
	s := syntheticSummary(t, event.Bidi)
	limits := mustLimits(t, "p(99)=0%", "max=0%", "error_rate=0%", "rps=0%", "msg_rtt.p(99)=0%", "p(95)=0%", "status=UNAVAILABLE count=0")
	c, err := Compare(s, jsonRoundTrip(t, s), limits, false)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Pass || len(c.Regressions) != 0 || len(c.ShapeNotes) != 0 || len(c.Notes) != 0 {
		t.Errorf("pass %v regressions %q shape %q notes %q", c.Pass, c.Regressions, c.ShapeNotes, c.Notes)
	}
	var metrics []string
	for _, row := range c.Rows {
		metrics = append(metrics, row.Metric)
		if row.Diff != 0 || (row.Relative != nil && *row.Relative != 0) || row.Exceeded {
			t.Errorf("%s: diff %v relative %v exceeded %v", row.Metric, row.Diff, row.Relative, row.Exceeded)
		}
	}
	want := "count rps error_rate p(50) p(90) p(99) p(99.9) max service_time.p(99) " +
		"first_message.p(50) first_message.p(99) msg_gap.p(50) msg_gap.p(99) msg_rtt.p(50) msg_rtt.p(99) " +
		"send_time.p(50) send_time.p(99) stream_duration.p(50) stream_duration.p(99) p(95) status=UNAVAILABLE count"
	if got := strings.Join(metrics, " "); got != want {
		t.Errorf("rows\n got %s\nwant %s", got, want)
	}
}

func TestCompareCatchesAStall(t *testing.T) {
	base, cur := gateSummary(), stalledSummary()
	c, err := Compare(base, cur, mustLimits(t, "p(99)=10%", "p(50)=10%", "error_rate=0.5%", "rps=5%"), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pass || len(c.Regressions) != 1 || !strings.HasPrefix(c.Regressions[0], "p(99) rose ") ||
		!strings.Contains(c.Regressions[0], "(99ms → 2s); the limit is at most 10%") {
		t.Errorf("pass %v regressions %q", c.Pass, c.Regressions)
	}
	for _, row := range c.Rows {
		if (row.Metric == "p(99)") != row.Exceeded {
			t.Errorf("%s: exceeded %v", row.Metric, row.Exceeded)
		}
		if row.Metric == "p(99)" && (row.Unit != "ns" || row.Better != "lower" || row.Diff <= 0 || *row.Relative < 10) {
			t.Errorf("p(99) row %+v", row)
		}
	}
	// Without limits nothing fails, whatever changed.
	if c, err := Compare(base, cur, nil, false); err != nil || !c.Pass {
		t.Errorf("no limits: %v, %v", c, err)
	}
}

func TestCompareRefusesOtherShapes(t *testing.T) {
	base := gateSummary()
	tests := []struct {
		name   string
		change func(s *report.Summary)
		want   string
	}{
		{"method", func(s *report.Summary) { s.Method = "x.Y/Z" }, "method: base grpcpulse.test.v1.Pulse/Gate, new x.Y/Z"},
		{"kind", func(s *report.Summary) { s.Kind = event.ServerStream }, "kind: base unary, new server_stream"},
		{"concurrency", func(s *report.Summary) { s.Options.Load.Concurrency = 50 }, "concurrency (-c): base 1, new 50"},
		{"connections", func(s *report.Summary) { s.Options.Load.Connections = 4 }, "connections: base 1, new 4"},
		{"rate", func(s *report.Summary) { s.Options.Load.RPS = 500 }, "rate: base closed loop, new --rps 500"},
		{"schedule", func(s *report.Summary) {
			if err := s.Options.Load.Schedule.Set("ramp:10,100,2s"); err != nil {
				panic(err)
			}
		}, "rate: base closed loop, new --schedule ramp:10,100,2s"},
		{"messages", func(s *report.Summary) { s.Options.Call.Messages = 10 }, "messages per stream: base 1, new 10"},
		{"data size", func(s *report.Summary) { s.DataBytes = 512 }, "request data size: base 0 bytes, new 512 bytes"},
		{"merged", func(s *report.Summary) { s.Sources = make([]report.Source, 3) }, "merged runs: base 1, new 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := *gateSummary()
			tt.change(&cur)
			c, err := Compare(base, &cur, mustLimits(t, "p(99)=10%"), false)
			if !errors.Is(err, ErrShapeDiffers) || c != nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compare = %v, %v; want ErrShapeDiffers saying %q", c, err, tt.want)
			}
			c, err = Compare(base, &cur, mustLimits(t, "p(99)=10%"), true)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.ShapeNotes) != 1 || c.ShapeNotes[0] != tt.want || !c.Pass {
				t.Errorf("forced: shape notes %q pass %v", c.ShapeNotes, c.Pass)
			}
		})
	}
	cur := *gateSummary()
	cur.Options.Load.Concurrency, cur.Options.Load.Connections = 8, 2
	_, err := Compare(base, &cur, nil, false)
	if err == nil || !strings.Contains(err.Error(), "concurrency (-c): base 1, new 8; connections: base 1, new 2") {
		t.Errorf("every difference should be named: %v", err)
	}
}

func TestCompareNotes(t *testing.T) {
	base := gateSummary()
	cur := *gateSummary()
	cur.Tool = report.Tool{Version: "v0.2.0", GRPCGo: "1.86.0", CPUs: 2}
	cur.Options.Load.Duration = 30 * time.Second
	cur.Engine = "h2"
	c, err := Compare(base, &cur, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	// The base predates tool.cpus: not a difference.
	want := []string{"engine: base grpc, new h2: different clients measured the runs, and each one's own cost is in its latency and rate", "grpcpulse version: base (none), new v0.2.0", "grpc-go version: base (none), new 1.86.0", "duration (-z): base 0s, new 30s"}
	if strings.Join(c.Notes, "|") != strings.Join(want, "|") {
		t.Errorf("notes %q, want %q", c.Notes, want)
	}
	base.Tool.CPUs = 8
	c, err = Compare(base, &cur, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "client processors (--cpus): base 8, new 2"; !slices.Contains(c.Notes, want) {
		t.Errorf("notes %q, want %q among them", c.Notes, want)
	}
}

func TestCompareLimitOnMissingSeries(t *testing.T) {
	_, err := Compare(gateSummary(), gateSummary(), mustLimits(t, "msg_rtt.p(99)=10%"), false)
	if err == nil || !strings.Contains(err.Error(), "the base report (a unary method) has no msg_rtt series") {
		t.Errorf("err = %v", err)
	}
}

func comparisonForRendering(t *testing.T) *report.Comparison {
	t.Helper()
	base, cur := gateSummary(), stalledSummary()
	cur.Options.Load.Concurrency = 2
	cur.Tool.Version = "v0.2.0"
	c, err := Compare(base, cur, mustLimits(t, "p(99)=10%", "error_rate=0.5%", "rps=5%"), true)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRenderComparisonGolden(t *testing.T) {
	c := comparisonForRendering(t)
	var txt, md, js bytes.Buffer
	if err := text.RenderComparison(&txt, c, text.PlainStyles(), 80); err != nil {
		t.Fatal(err)
	}
	if err := text.RenderComparisonMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteComparisonJSON(&js, c); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.txt.golden", txt.Bytes())
	golden(t, "compare.md.golden", md.Bytes())
	golden(t, "compare.json.golden", js.Bytes())

	var back struct {
		Schema string           `json:"schema"`
		Pass   bool             `json:"pass"`
		Rows   []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != report.CompareSchema || back.Pass || len(back.Rows) != len(c.Rows) {
		t.Errorf("JSON: %+v", back)
	}
	for _, key := range []string{"metric", "unit", "better", "base", "new", "diff", "exceeded"} {
		if _, ok := back.Rows[0][key]; !ok {
			t.Errorf("row has no %q: %v", key, back.Rows[0])
		}
	}
	if !strings.Contains(txt.String(), "FAIL") || !strings.Contains(md.String(), "❌ FAIL") {
		t.Errorf("no verdict in\n%s\n%s", txt.String(), md.String())
	}
	color := &bytes.Buffer{}
	if err := text.RenderComparison(color, c, text.ColorStyles(), 40); err != nil || !strings.Contains(color.String(), "\x1b[") {
		t.Errorf("colour rendering: %v", err)
	}
}

func TestRenderComparisonPass(t *testing.T) {
	s := gateSummary()
	c, err := Compare(s, s, mustLimits(t, "p(99)=10%"), false)
	if err != nil {
		t.Fatal(err)
	}
	var txt, md bytes.Buffer
	if err := text.RenderComparison(&txt, c, text.PlainStyles(), 0); err != nil {
		t.Fatal(err)
	}
	if err := text.RenderComparisonMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "PASS 1 metric within the limits") || !strings.Contains(md.String(), "✅ PASS") {
		t.Errorf("text:\n%s\nmarkdown:\n%s", txt.String(), md.String())
	}
}

func TestComparisonRenderersReturnWriteErrors(t *testing.T) {
	c := comparisonForRendering(t)
	for name, err := range map[string]error{
		"text":     text.RenderComparison(failingWriter{}, c, text.PlainStyles(), 80),
		"markdown": text.RenderComparisonMarkdown(failingWriter{}, c),
		"json":     report.WriteComparisonJSON(failingWriter{}, c),
	} {
		if !errors.Is(err, errDiskFull) {
			t.Errorf("%s: error %v, want %v", name, err, errDiskFull)
		}
	}
}
