package cmd

import (
	"testing"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/report"
)

// diagnose exits 8 when, and only when, a finding is at error level.
func TestDiagnoseFindingExit(t *testing.T) {
	t.Parallel()
	warn := report.Finding{ID: "idle_close", Severity: report.SeverityWarn, Title: "idle"}
	bad := report.Finding{ID: "too_many_pings", Severity: report.SeverityError, Title: "GOAWAY too_many_pings"}
	tests := []struct {
		name     string
		findings []report.Finding
		want     int
	}{
		{"none", nil, cli.ExitOK},
		{"warnings only", []report.Finding{warn}, cli.ExitOK},
		{"an error", []report.Finding{warn, bad}, cli.ExitFinding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cli.ExitCode(findingError(tt.findings)); got != tt.want {
				t.Errorf("exit %d, want %d", got, tt.want)
			}
		})
	}
}
