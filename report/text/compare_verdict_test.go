package text

import (
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
)

// The verdict counts the limits of the totals and of each method of a mix
// alike: it once said "5 metrics of 2" (the regressions of every method
// over the limits of the totals).
func TestComparisonVerdict(t *testing.T) {
	t.Parallel()
	rows := func(exceeded ...bool) []report.CompareRow {
		out := []report.CompareRow{{Metric: "p(50)"}} // no limit
		for _, e := range exceeded {
			out = append(out, report.CompareRow{Metric: "p(99)", Limit: "10%", Exceeded: e})
		}
		return out
	}
	for _, tt := range []struct {
		name string
		c    report.Comparison
		want string
	}{
		{"a mix", report.Comparison{Rows: rows(true, false), Regressions: make([]string, 5),
			Methods: []report.MethodComparison{{Rows: rows(true, true)}, {Rows: rows(true, true)}}}, "5 of 6 limited metrics over the limit"},
		{"one over", report.Comparison{Rows: rows(true), Regressions: make([]string, 1)}, "1 of 1 limited metric over the limit"},
		{"pass", report.Comparison{Pass: true, Rows: rows(false, false)}, "2 metrics within the limits"},
		{"pass, a mix", report.Comparison{Pass: true, Rows: rows(false), Methods: []report.MethodComparison{{Rows: rows(false)}}}, "2 metrics within the limits"},
		{"no limits", report.Comparison{Pass: true, Rows: rows()}, "no limits were set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := comparisonVerdict(&tt.c); got != tt.want {
				t.Errorf("verdict %q, want %q", got, tt.want)
			}
		})
	}
}
