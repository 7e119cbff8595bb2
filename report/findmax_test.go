package report

import (
	"bytes"
	"testing"
	"time"
)

// beyondSummary is the unary synthetic run with a breaking-point search,
// handshake histograms and compression figures added: the fixture of
// testdata/findmax.json.golden, which the renderers' tests read.
func beyondSummary(t *testing.T) *Summary {
	s := syntheticSummary(t, "unary")
	step := func(rate, rps float64, p50, p99 time.Duration, errs int64, p99ok bool) FindMaxStep {
		slo := []AssertionResult{
			{Expr: "p(99)<40ms", Pass: p99ok, Value: FormatDuration(p99), Measured: float64(p99), Threshold: float64(40 * time.Millisecond)},
			{Expr: "error_rate<1%", Pass: true, Value: "0%", Threshold: 0.01},
		}
		s := &Summary{RPS: rps, OK: 1, Count: int64(rps * 2), Errors: errs, Latency: &Histogram{P50: p50, P99: p99}}
		return NewFindMaxStep(rate, s, slo)
	}
	ms := time.Millisecond
	s.FindMax = &FindMax{
		SLO: []string{"p(99)<40ms", "error_rate<1%"}, MaxRate: 900, FailRate: 950, Stop: "converged",
		StartRate: 100, TopRate: 20000, TimeLimit: 5 * time.Minute, Step: 2 * time.Second, Warmup: time.Second,
		Steps: []FindMaxStep{
			step(100, 100, 10*ms, 11*ms, 0, true), step(200, 200, 10*ms, 12*ms, 0, true),
			step(400, 400, 10*ms, 12*ms, 0, true), step(800, 799, 10*ms, 15*ms, 0, true),
			step(1600, 1010, 900*ms, 1800*ms, 0, false), step(1200, 1003, 400*ms, 700*ms, 0, false),
			step(1000, 990, 25*ms, 60*ms, 0, false), step(900, 900, 12*ms, 24*ms, 0, true),
			step(950, 949, 15*ms, 45*ms, 0, false),
		},
	}
	hist := func(ds ...time.Duration) *Histogram {
		h := NewHDR()
		for _, d := range ds {
			record(h, d)
		}
		return NewHistogram(h)
	}
	s.Connectivity.Handshake = &Handshake{
		Connect: hist(80*time.Microsecond, 95*time.Microsecond, 120*time.Microsecond),
		HTTP2:   hist(300*time.Microsecond, 350*time.Microsecond, 2*ms),
		Total:   hist(400*time.Microsecond, 460*time.Microsecond, 2200*time.Microsecond),
	}
	s.Compression = &Compression{Codec: "gzip", SentBytes: 2_400_000, SentWireBytes: 310_000, ReceivedBytes: 2_400_000, ReceivedWireBytes: 305_000}
	return s
}

func TestFindMaxReportRoundTrip(t *testing.T) {
	s := beyondSummary(t)
	got := reportJSON(t, s)
	golden(t, "findmax.json.golden", []byte(got))
	back, err := ReadJSON(bytes.NewReader([]byte(got)))
	if err != nil {
		t.Fatal(err)
	}
	if again := reportJSON(t, back); again != got {
		t.Errorf("the report changed in a round trip:\n%s\nwant\n%s", again, got)
	}
	pass, fail := back.FindMax.Knee()
	if pass == nil || fail == nil || pass.Rate != 900 || fail.Rate != 950 {
		t.Errorf("Knee() = %+v, %+v; want the steps at 900 and 950", pass, fail)
	}
}

func TestStepVerdict(t *testing.T) {
	ok := []AssertionResult{{Expr: "p(99)<40ms", Pass: true, Value: "12ms"}}
	missed := []AssertionResult{{Expr: "p(99)<40ms", Pass: false, Value: "85ms"}}
	tests := []struct {
		name     string
		rate     float64
		s        Summary
		slo      []AssertionResult
		wantPass bool
		wantWhy  string
	}{
		{"within", 1000, Summary{RPS: 995, OK: 10}, ok, true, ""},
		{"slo missed", 1000, Summary{RPS: 995, OK: 10}, missed, false, "p(99)<40ms (measured 85ms)"},
		{"short of the rate", 1000, Summary{RPS: 700, OK: 10}, ok, false, "achieved 700/s of 1000/s"},
		{"nothing succeeded", 10, Summary{RPS: 10}, ok, false, "no call succeeded or the step stalled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pass, why := StepVerdict(tt.rate, &tt.s, tt.slo)
			if pass != tt.wantPass || why != tt.wantWhy {
				t.Errorf("StepVerdict() = %v, %q; want %v, %q", pass, why, tt.wantPass, tt.wantWhy)
			}
		})
	}
}

func TestFindMaxCorruptRefused(t *testing.T) {
	s := beyondSummary(t)
	s.FindMax.Steps[2].P99 = -1
	if err := Validate(s); err == nil {
		t.Error("a negative step p99 passed validation")
	}
	s = beyondSummary(t)
	s.Compression.SentWireBytes = -5
	if err := Validate(s); err == nil {
		t.Error("negative compressed bytes passed validation")
	}
}

func TestSLOMetric(t *testing.T) {
	for expr, want := range map[string]string{
		"p(99)<40ms": "p(99)", "error_rate <= 1%": "error_rate", "status=UNAVAILABLE count==0": "status=UNAVAILABLE count",
		"msg_rtt.p(99)<2ms": "msg_rtt.p(99)",
	} {
		if got := SLOMetric(expr); got != want {
			t.Errorf("SLOMetric(%q) = %q, want %q", expr, got, want)
		}
	}
}
