package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// The share of failed calls at which a run may not end without an error
// finding (docs/report.md, "Finding"): 5% of the calls, or 1% when at least
// minFailedCalls failed.
const (
	failedShareHigh = 0.05
	failedShareLow  = 0.01
	minFailedCalls  = 10
)

// manyFailed reports whether s had enough failed calls that an all-clear
// (or only warnings) would mislead.
func manyFailed(s *report.Summary) bool {
	if s.Errors == 0 || s.Count == 0 {
		return false
	}
	share := float64(s.Errors) / float64(s.Count)
	return share >= failedShareHigh || (share >= failedShareLow && s.Errors >= minFailedCalls)
}

// callsFailed is the last word when many calls failed and no rule raised an
// error finding: it names the most frequent failure (status, message and
// transport cause) with counts, so that a report never says "no connection
// problems" over failing calls. out is the findings of the other rules.
func callsFailed(d *diagnosis, out []report.Finding) []report.Finding {
	if !manyFailed(d.s) || slices.ContainsFunc(out, func(f report.Finding) bool { return f.Severity == report.SeverityError }) {
		return nil
	}
	s := d.s
	ev := []report.Evidence{{Name: "calls failed", Value: fmt.Sprintf("%d of %d (%s)", s.Errors, s.Count, report.Percent(s.Errors, s.Count))}}
	title := fmt.Sprintf("%s of the calls failed (%d of %d)", report.Percent(s.Errors, s.Count), s.Errors, s.Count)
	if len(s.ErrorsByMessage) > 0 {
		top := s.ErrorsByMessage[0]
		msg := oneLine(top.Shown())
		ev = append(ev, report.Evidence{Name: "most frequent error", Value: fmt.Sprintf("%s %q ×%d", report.CodeName(top.Code), msg, top.Count)})
		title += fmt.Sprintf(", most with %s: %s", report.CodeName(top.Code), cut(msg, 120))
	}
	if c, n := topCause(d.c.FailureCauses); n > 0 {
		ev = append(ev, report.Evidence{Name: "most frequent cause", Value: fmt.Sprintf("%s ×%d", c, n)})
	}
	for _, sc := range s.StatusCodes {
		if sc.Code != 0 {
			ev = append(ev, report.Evidence{Name: "status " + report.CodeName(event.Code(sc.Code)), Value: fmt.Sprint(sc.Count)})
		}
	}
	f := report.Finding{ID: "calls_failed", Severity: report.SeverityError, Title: title, Evidence: ev,
		Cause: "Many calls failed and no connection problem explains it: the failures came from the server itself " +
			"(its status and message above), or from something between the client and the server answering in its " +
			"place (a proxy or load balancer that times out, refuses or resets calls: its message or HTTP status says " +
			"which).",
		Fix: "Read the most frequent error above: fix what the server reports, or the intermediary's timeout or limit " +
			"that produces it. Run with fewer calls in flight to see whether the failures depend on load."}
	return []report.Finding{f}
}

// topCause is the most frequent failure cause (ties by name).
func topCause(m map[event.Cause]int64) (event.Cause, int64) {
	var top event.Cause
	var n int64
	for _, c := range sortedKeys(m) {
		if m[c] > n {
			top, n = c, m[c]
		}
	}
	return top, n
}

// oneLine folds a message's lines and runs of spaces into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cut shortens s to n runes, with an ellipsis.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
