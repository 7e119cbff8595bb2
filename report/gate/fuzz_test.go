package gate

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/text"
)

func goldenReport(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readReport(t testing.TB, b []byte) *report.Summary {
	s, err := report.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzParseAssertions: any expression parses or is refused; one that
// parses has a finite threshold and evaluates on a real report.
func FuzzParseAssertions(f *testing.F) {
	for _, seed := range []string{"p(99)<250ms", "error_rate<0.1%", "rps>=1000", "count>=10", "status[UNAVAILABLE]==0",
		"msg_gap.p(99.9)<=1s", "service_time.avg<2ms", "p(99)<NaNms", "rps>NaN", "p(NaN)<1s", "error_rate<1e400%"} {
		f.Add(seed)
	}
	s := readReport(f, goldenReport(f, "bidi.json.golden"))
	f.Fuzz(func(t *testing.T, expr string) {
		as, err := ParseAssertions([]string{expr})
		if err != nil {
			return
		}
		for _, a := range as {
			if math.IsNaN(a.threshold) || math.IsInf(a.threshold, 0) {
				t.Fatalf("%q parsed with threshold %v", expr, a.threshold)
			}
		}
		_ = CheckKind(as, s.Kind)
		_ = EvaluateAssertions(s, as)
	})
}

// FuzzParseLimits: any limit parses or is refused; one that parses has a
// finite value and compares two real reports.
func FuzzParseLimits(f *testing.F) {
	for _, seed := range []string{"p(99)=10%", "error_rate=0.5%", "rps=5%", "p(99)=5ms", "count=100", "p(99)=NaN%",
		"p(99)=Inf%", "msg_gap.max=1s", "status[OK]=3%"} {
		f.Add(seed)
	}
	base := readReport(f, goldenReport(f, "bidi.json.golden"))
	f.Fuzz(func(t *testing.T, spec string) {
		ls, err := ParseLimits([]string{spec})
		if err != nil {
			return
		}
		for _, l := range ls {
			if math.IsNaN(l.value) || math.IsInf(l.value, 0) {
				t.Fatalf("%q parsed with value %v", spec, l.value)
			}
		}
		if c, err := Compare(base, base, ls, true); err == nil && !c.Pass {
			t.Fatalf("a report compared with itself fails %q: %v", spec, c.Regressions)
		}
	})
}

// FuzzCompare reads two reports and compares them with a few limits; what
// compares must render in every format.
func FuzzCompare(f *testing.F) {
	unary, bidi := goldenReport(f, "unary.json.golden"), goldenReport(f, "bidi.json.golden")
	f.Add(unary, unary)
	f.Add(bidi, bidi)
	f.Add(unary, bidi)
	small := goldenReport(f, "small.json") // a seed under maxFuzzInput
	f.Add(small, small)
	limits, err := ParseLimits([]string{"p(99)=10%", "error_rate=0.5%", "rps=5%"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if tooLargeToFuzz(len(a)) || tooLargeToFuzz(len(b)) {
			return
		}
		base, err := report.ReadJSON(bytes.NewReader(a))
		if err != nil {
			return
		}
		cur, err := report.ReadJSON(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, force := range []bool{false, true} {
			c, err := Compare(base, cur, limits, force)
			if err != nil {
				continue
			}
			var out bytes.Buffer
			for _, render := range []func() error{
				func() error { return text.RenderComparison(&out, c, text.PlainStyles(), 100) },
				func() error { return text.RenderComparisonMarkdown(&out, c) },
				func() error { return report.WriteComparisonJSON(&out, c) },
			} {
				if err := render(); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// maxFuzzInput caps the inputs of the fuzz targets while fuzzing: each run
// of a full report (tens of KiB) takes about 0.1 s instrumented, mostly
// re-encoding its histograms, and the fuzzer minimizes every new input it
// finds for up to a minute, so a target over the golden reports made a
// handful of executions in 30 s. Under the cap it makes tens of thousands,
// and the seeds (the golden reports) still run whole in plain go test.
const maxFuzzInput = 8 << 10

// tooLargeToFuzz reports whether an input of n bytes is skipped: only while
// fuzzing (-test.fuzz), and only over maxFuzzInput.
func tooLargeToFuzz(n int) bool {
	f := flag.Lookup("test.fuzz")
	return n > maxFuzzInput && f != nil && f.Value.String() != ""
}
