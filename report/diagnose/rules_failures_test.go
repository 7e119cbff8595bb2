package diagnose

import (
	"slices"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// checkFindings compares got with want: the same ids and severities in
// order, and each saying what it should.
func checkFindings(t *testing.T, got []report.Finding, want []wantFinding) {
	t.Helper()
	var ids, wantIDs []string
	for _, f := range got {
		ids = append(ids, f.ID+"/"+string(f.Severity))
	}
	for _, w := range want {
		wantIDs = append(wantIDs, w.id+"/"+string(w.severity))
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("findings %v, want %v\n%s", ids, wantIDs, describe(got))
	}
	for i, w := range want {
		text := describe(got[i : i+1])
		for _, say := range w.says {
			if !strings.Contains(text, say) {
				t.Errorf("%s does not say %q:\n%s", w.id, say, text)
			}
		}
		if f := got[i]; f.Title == "" || f.Cause == "" || f.Fix == "" {
			t.Errorf("%s is incomplete: %+v", f.ID, f)
		}
	}
}

// failing makes s a run where n of its calls failed with code and msg
// (cause other).
func failing(s *report.Summary, n int64, code event.Code, msg string) {
	s.OK, s.Errors = s.Count-n, n
	s.StatusCodes = report.StatusCodes{{Code: event.CodeOK, Count: s.Count - n}, {Code: code, Count: n}}
	s.ErrorsByMessage = []report.ErrorCount{{Code: code, Message: msg, Count: n}}
	s.Connectivity.FailureCauses[event.CauseOther] = n
}

func TestCallsFailed(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *report.Summary)
		want   []wantFinding
	}{
		{"every call failed with a server status", func(s *report.Summary) {
			failing(s, 1000, event.CodeInternal, "boom\n  from the server")
		}, []wantFinding{{"calls_failed", report.SeverityError, []string{"100.00% of the calls failed (1000 of 1000)",
			`INTERNAL "boom from the server" ×1000`, "most frequent cause: other ×1000", "status INTERNAL: 1000"}}}},
		{"5% failed", func(s *report.Summary) {
			failing(s, 50, event.CodeUnavailable, "unexpected HTTP status code received from server: 504")
		},
			// The proxy's own finding names the intermediary; at 5% it is a
			// warning, so the share of failed calls is an error of its own.
			[]wantFinding{{"calls_failed", report.SeverityError, []string{"50 of 1000", "504"}},
				{"proxy_timeout_504", report.SeverityWarn, nil}}},
		{"1% with 10 calls", func(s *report.Summary) { failing(s, 10, event.CodeUnknown, "x") },
			[]wantFinding{{"calls_failed", report.SeverityError, []string{"10 of 1000"}}}},
		{"below the threshold", func(s *report.Summary) { failing(s, 9, event.CodeUnknown, "x") }, nil},
		{"one of three", func(s *report.Summary) { s.Count = 3; failing(s, 1, event.CodeUnknown, "x") },
			[]wantFinding{{"calls_failed", report.SeverityError, []string{"1 of 3"}}}},
		{"another rule already names an error", func(s *report.Summary) {
			failing(s, 100, event.CodeUnavailable, "connection refused")
			s.Connectivity.FailureCauses = map[event.Cause]int64{event.CauseRefused: 100}
		}, []wantFinding{{"connection_refused", report.SeverityError, []string{"100 calls failed"}}}},
		{"a warning is not enough", func(s *report.Summary) {
			failing(s, 1000, event.CodeUnavailable, "error reading from server: EOF")
			s.Connectivity.Closes[report.ClosePeerEOF] = 3
		}, []wantFinding{{"calls_failed", report.SeverityError, []string{"EOF"}},
			{"peer_closed_without_goaway", report.SeverityWarn, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthySummary()
			tt.change(s)
			checkFindings(t, Findings(s), tt.want)
		})
	}
}
