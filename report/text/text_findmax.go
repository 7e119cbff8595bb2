package text

import (
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

// findMax writes the breaking-point search: what it found, the knee, and
// its steps; nothing for a run without one.
func (t *textReport) findMax() {
	f := t.s.FindMax
	if f == nil {
		return
	}
	t.heading("Breaking point")
	style := t.st.Good
	if f.MaxRate == 0 {
		style = t.st.Bad
	}
	t.field("Max rate", style, " ", strings.Fields(report.FindMaxVerdict(f))...)
	t.field("SLO", t.st.Value.UnsetBold(), " · ", f.SLO...)
	if pass, fail := f.Knee(); fail != nil {
		knee := fmt.Sprintf("at %s/s: %s", report.FormatRate(fail.Rate), fail.Reason)
		if pass != nil {
			knee = fmt.Sprintf("between %s/s (p99 %s) and %s/s: %s", report.FormatRate(pass.Rate), report.FormatDuration(pass.P99),
				report.FormatRate(fail.Rate), fail.Reason)
		}
		t.field("Knee", t.st.Warn, " ", strings.Fields(knee)...)
	}
	t.field("Search", t.st.Faint, " ", strings.Fields(report.FindMaxShape(f))...)
	t.line()
	cols := []int{10, 10, 9, 9, 8}
	t.line(t.st.Label.Render(fmt.Sprintf("  %*s%*s%*s%*s%*s  %s", cols[0], "rate", cols[1], "achieved", cols[2], "p50", cols[3], "p99", cols[4], "errors", "SLO")))
	for _, st := range f.Steps {
		verdict := t.st.Good.Render("pass")
		if !st.Pass {
			verdict = t.st.Bad.Render("FAIL")
		}
		row := fmt.Sprintf("  %*s%*s%*s%*s%*d  ", cols[0], report.FormatRate(st.Rate)+"/s", cols[1], report.FormatRate(st.RPS)+"/s",
			cols[2], report.FormatDuration(st.P50), cols[3], report.FormatDuration(st.P99), cols[4], st.Errors)
		t.line(row, verdict, "  ", t.st.Faint.Render(report.StepFigures(st)))
	}
	if f.MaxRate > 0 {
		t.line(t.st.Faint.Render(fmt.Sprintf("  The figures below are of the step at %s/s.", report.FormatRate(f.MaxRate))))
	} else if n := len(f.Steps); n > 0 {
		t.line(t.st.Faint.Render(fmt.Sprintf("  The figures below are of the last step, at %s/s.", report.FormatRate(f.Steps[n-1].Rate))))
	}
}
