package diagnose

import (
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
)

func TestRunFailed(t *testing.T) {
	s := healthySummary()
	if _, ok := byID(Findings(s), "run_failed"); ok {
		t.Fatal("run_failed on a run with no failure")
	}
	s.Failure, s.Aborted = "--template: rendering request 5: error calling fail: no such user", 3
	f, ok := byID(Findings(s), "run_failed")
	if !ok || f.Severity != report.SeverityError || len(f.Evidence) != 2 ||
		f.Evidence[0].Value != s.Failure || f.Evidence[1].Value != "3" {
		t.Errorf("run_failed = %+v, want an error with the failure and 3 calls cut", f)
	}
}
