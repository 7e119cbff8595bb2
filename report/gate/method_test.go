package gate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// mixSummary records a mix of a fast unary method (10 calls of 5ms) and a
// slow bidi one (4 streams of 50ms, one failed, 3 round trips each).
func mixSummary() *report.Summary { return mixSummaryOf(50 * time.Millisecond) }

// mixSummaryOf is mixSummary with bidi streams of slow.
func mixSummaryOf(took time.Duration) *report.Summary {
	r := record.NewMixManual([]event.Kind{event.Unary, event.Bidi}, 1, func() time.Time { return t0 })
	fast, slow := r.MethodWorker(0, 0, 0), r.MethodWorker(0, 0, 1)
	r.Begin(t0)
	for range 10 {
		fast.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0.Add(5 * time.Millisecond), Sent: 1, Received: 1})
	}
	for i := range 4 {
		for range 3 {
			slow.Message(event.SeriesMsgRTT, 30*time.Millisecond)
		}
		code := event.CodeOK
		if i == 0 {
			code = event.CodeUnavailable
		}
		slow.Call(&runner.CallStats{Intended: t0, Start: t0, End: t0.Add(took), Code: codes.Code(code), Method: 1, Sent: 3, Received: 3})
	}
	r.End(t0.Add(time.Second))
	return r.Summary(record.Meta{Method: "p.S/Fast,p.S/Slow", Mix: []record.MixMethod{{Method: "p.S/Fast", Weight: 5}, {Method: "p.S/Slow", Weight: 2}}})
}

func TestMethodAssertions(t *testing.T) {
	s := mixSummary()
	tests := []struct {
		expr  string
		value string
		pass  bool
	}{
		{"method=Fast,p(99)<20ms", "5ms", true},
		{"method=p.S/Slow,p(99)<20ms", "50ms", false},
		{"method=S/Slow,msg_rtt.p(99)<40ms", "30ms", true},
		{"method=Slow,error_rate<10%", "25%", false},
		{"method=Slow code=UNAVAILABLE count==1", "1", true},
		{"method=Fast,count==10", "10", true},
		{"count==14", "14", true},
		{"method=Nope,count>0", "no data", false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			as, err := ParseAssertions([]string{tt.expr})
			if err != nil {
				t.Fatal(err)
			}
			got := EvaluateAssertions(s, as)[0]
			if got.Pass != tt.pass || !strings.HasPrefix(got.Value, strings.TrimSuffix(tt.value, "ms")) {
				t.Errorf("pass %v value %q; want %v %q", got.Pass, got.Value, tt.pass, tt.value)
			}
		})
	}
}

func TestCheckMix(t *testing.T) {
	names := []string{"p.S/Fast", "p.S/Slow", "q.S/Slow"}
	kinds := []event.Kind{event.Unary, event.Bidi, event.Bidi}
	tests := []struct{ expr, wantErr string }{
		{"method=Fast,p(99)<1s", ""},
		{"method=p.S/Slow,msg_rtt.p(99)<1s", ""},
		{"method=Fast,msg_rtt.p(99)<1s", "p.S/Fast: assertion"},
		{"method=Slow,p(99)<1s", "names more than one method"},
		{"method=Other,p(99)<1s", "the run calls no method Other"},
		{"msg_rtt.p(99)<1s", "a mixed method has no msg_rtt series"},
		{"method=,p(99)<1s", "method= names no method"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			as, err := ParseAssertions([]string{tt.expr})
			if err == nil {
				err = CheckMix(as, names, kinds)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCompareMethods(t *testing.T) {
	base, cur := mixSummaryOf(50*time.Millisecond), mixSummaryOf(80*time.Millisecond)
	limits, err := ParseLimits([]string{"p(99)=100%", "max=20%"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(base, cur, limits, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pass || len(c.Methods) != 2 || !c.Methods[0].Pass || c.Methods[1].Pass {
		t.Fatalf("pass %v methods %+v; want the slow method (only) to fail", c.Pass, c.Methods)
	}
	found := false
	for _, r := range c.Regressions {
		found = found || strings.HasPrefix(r, "p.S/Slow: max")
	}
	if !found {
		t.Errorf("regressions %q name no p.S/Slow max", c.Regressions)
	}
	var b strings.Builder
	if err := text.RenderComparison(&b, c, text.PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Method p.S/Slow") {
		t.Errorf("no per-method section in\n%s", b.String())
	}
	b.Reset()
	if err := text.RenderComparisonMarkdown(&b, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "**Method p.S/Slow**\n\n| metric |") {
		t.Errorf("no per-method table in\n%s", b.String())
	}
}

// --max-regression takes --assert's method selector: a limit on one method
// of a mix applies to that method's calls, in place of a limit on the same
// metric for every method; a limit without one still gates the totals.
func TestCompareMethodLimits(t *testing.T) {
	base, cur := mixSummaryOf(50*time.Millisecond), mixSummaryOf(80*time.Millisecond) // Slow's max +60%
	tests := []struct {
		name     string
		limits   []string
		pass     bool
		methods  [2]bool // Fast's and Slow's pass
		failures []string
	}{
		{"Slow within its own limit", []string{"method=Fast,max=0%", "method=Slow,max=100%"}, true, [2]bool{true, true}, nil},
		{"Slow over its own limit", []string{"method=Slow,max=50%"}, false, [2]bool{true, false}, []string{"p.S/Slow: max rose 60.0%"}},
		{"a limit on Fast only leaves Slow free", []string{"method=Fast,max=0%"}, true, [2]bool{true, true}, nil},
		{"the method's limit wins over the general one", []string{"max=10%", "method=p.S/Slow,max=100%"}, false, [2]bool{true, true}, []string{"max rose 60.0%"}},
		{"by the general limit", []string{"max=10%", "method=S/Fast,max=100%"}, false, [2]bool{true, false}, []string{"max rose 60.0%", "p.S/Slow: max rose 60.0%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limits, err := ParseLimits(tt.limits)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Compare(base, cur, limits, false)
			if err != nil {
				t.Fatal(err)
			}
			if c.Pass != tt.pass || len(c.Methods) != 2 || c.Methods[0].Pass != tt.methods[0] || c.Methods[1].Pass != tt.methods[1] {
				t.Errorf("pass %v, methods %+v; want %v, %v", c.Pass, c.Methods, tt.pass, tt.methods)
			}
			if len(c.Regressions) != len(tt.failures) {
				t.Fatalf("regressions %q, want %d", c.Regressions, len(tt.failures))
			}
			for i, f := range tt.failures {
				if !strings.HasPrefix(c.Regressions[i], f) {
					t.Errorf("regression %q, want one starting %q", c.Regressions[i], f)
				}
			}
		})
	}
	for _, spec := range []string{"method=Nope,max=10%", "method=S,max=10%"} {
		limits, err := ParseLimits([]string{spec})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Compare(base, cur, limits, false); !errors.Is(err, ErrLimitMethod) || !strings.Contains(err.Error(), spec) {
			t.Errorf("%s: err %v, want ErrLimitMethod naming it", spec, err)
		}
	}
	// A run of one method takes a selector that names it.
	single := syntheticSummary(t, event.Unary)
	for spec, wantErr := range map[string]bool{"method=Unary,p(99)=10%": false, "method=Bidi,p(99)=10%": true} {
		limits, _ := ParseLimits([]string{spec})
		c, err := Compare(single, single, limits, false)
		if (err != nil) != wantErr || (err == nil && (c.Rows[5].Limit != "10%" || !c.Pass)) {
			t.Errorf("%s on a run of %s: %v", spec, single.Method, err)
		}
	}
}

func TestParseMethodLimits(t *testing.T) {
	ls, err := ParseLimits([]string{"p(99)=10%", "method=Unary,p(99)=20%", "method=Bidi, p(99)=5ms"})
	if err != nil || len(ls) != 3 || ls[1].method != "Unary" || ls[1].metric.name != "p(99)" || ls[2].method != "Bidi" || ls[2].value != 5e6 {
		t.Fatalf("%+v, %v", ls, err)
	}
	for spec, want := range map[string]string{
		"method=,p(99)=10%":  "method= names no method",
		"method=Unary":       "method= names no method",
		"method=Unary,p(99)": "want METRIC=MAX",
	} {
		if _, err := ParseLimits([]string{spec}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", spec, err, want)
		}
	}
	if _, err := ParseLimits([]string{"method=Unary,p(99)=10%", "method=Unary,p(99)=5ms"}); err == nil || !strings.Contains(err.Error(), "a second limit for Unary,p(99)") {
		t.Errorf("two limits on one method's metric: %v", err)
	}
}
