package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

func byID(fs []report.Finding, id string) (report.Finding, bool) {
	for _, f := range fs {
		if f.ID == id {
			return f, true
		}
	}
	return report.Finding{}, false
}

func points(counts ...int64) []report.Point {
	out := make([]report.Point, len(counts))
	for i, n := range counts {
		out[i] = report.Point{Second: i, Count: n}
	}
	return out
}

func TestStallRules(t *testing.T) {
	for _, c := range []struct {
		name   string
		set    func(*report.Summary)
		id     string // "" for none of the stall rules
		sev    report.Severity
		inText string
	}{
		{"healthy", func(*report.Summary) {}, "", "", ""},
		{"watchdog", func(s *report.Summary) { s.Stalled, s.Aborted = 61*time.Second, 4 },
			"run_stalled", report.SeverityError, "nothing moved for 1m1s"},
		{"cut", func(s *report.Summary) { s.Cut, s.CutFor, s.Aborted, s.Unstarted = 101, 4*time.Second, 50, 51 },
			"stall_past_end", report.SeverityError, "101 calls cut by a stall that lasted past the end of the run, at least 4s"},
		{"behind at the end", func(s *report.Summary) {
			s.Cut, s.CutFor, s.Unstarted, s.Options.Load.RPS = 52, 35*time.Millisecond, 52, 3000
		}, "stall_past_end", report.SeverityWarn, "52 calls due before the end never started: the run was 35ms behind"},
		{"behind at the end, workers held by the server", func(s *report.Summary) {
			s.Cut, s.CutFor, s.Unstarted, s.Options.Load.RPS, s.Options.Load.Concurrency = 40, 757*time.Millisecond, 40, 200, 50
			s.HeldAtEnd, s.HeldFor = 50, 900*time.Millisecond
			s.ServiceTime = &report.Histogram{Count: 900, P50: 2 * time.Millisecond}
		}, "stall_past_end", report.SeverityWarn, "40 calls due before the end never started: every worker was held by a call waiting on the server, the longest for 900ms"},
		{"behind at the end, workers held by calls of usual length", func(s *report.Summary) {
			s.Cut, s.CutFor, s.Unstarted, s.Options.Load.RPS, s.Options.Load.Concurrency = 40, 80*time.Millisecond, 40, 2000, 50
			s.HeldAtEnd, s.HeldFor = 50, 120*time.Millisecond
			s.ServiceTime = &report.Histogram{Count: 900, P50: 25 * time.Millisecond}
		}, "stall_past_end", report.SeverityWarn, "40 calls due before the end never started: the run was 80ms behind"},
		{"behind at the end, a worker free", func(s *report.Summary) {
			s.Cut, s.CutFor, s.Unstarted, s.Options.Load.RPS, s.Options.Load.Concurrency = 40, 757*time.Millisecond, 40, 200, 50
			s.HeldAtEnd, s.HeldFor = 49, 900*time.Millisecond
		}, "stall_past_end", report.SeverityWarn, "the run was 757ms behind"},
		{"closed loop gap", func(s *report.Summary) { s.Timeline = points(500, 120, 0, 0, 300) },
			"closed_loop_stall", report.SeverityWarn, "at least 2s from second 2"},
		{"closed loop stall at the end", func(s *report.Summary) { s.Timeline, s.Aborted = points(500, 0, 0, 0), 4 },
			"closed_loop_stall", report.SeverityWarn, "at least 3s from second 1"},
		{"closed loop idle end, nothing in flight", func(s *report.Summary) { s.Timeline = points(500, 0) }, "", "", ""},
		{"closed loop before the first call", func(s *report.Summary) { s.Timeline = points(0, 0, 500) }, "", "", ""},
		{"closed loop of calls that take 2s each", func(s *report.Summary) {
			s.Timeline = points(2, 0, 2, 0, 2)
			s.Latency = &report.Histogram{Count: 5, P50: 2 * time.Second}
		}, "", "", ""},
		{"open loop gap", func(s *report.Summary) { s.Timeline, s.Options.Load.RPS = points(100, 0, 100), 100 }, "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := healthySummary()
			c.set(s)
			fs := Findings(s)
			for _, id := range []string{"run_stalled", "stall_past_end", "closed_loop_stall"} {
				f, ok := byID(fs, id)
				if ok != (id == c.id) {
					t.Errorf("%s: found %v, want %v (%s)", id, ok, id == c.id, describe(fs))
				}
				if ok && (f.Severity != c.sev || !strings.Contains(f.Title, c.inText)) {
					t.Errorf("%s: %s %q, want %s with %q", id, f.Severity, f.Title, c.sev, c.inText)
				}
			}
		})
	}
}
