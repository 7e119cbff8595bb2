package diagnose

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestBlackholeSurvived(t *testing.T) {
	ms := func(i int) time.Duration { return time.Duration(i) * time.Millisecond }
	window := func(by string, calls int64) report.SilentWindow {
		return report.SilentWindow{From: ms(100), Until: ms(1000), Calls: calls, EndedBy: by, EndedAt: ms(1300), Silence: ms(1200)}
	}
	tests := []struct {
		name   string
		change func(s *report.Summary)
		want   []wantFinding
	}{
		{"ended by a reset, keepalive on", func(s *report.Summary) {
			s.Connections[1].SilentWindows = []report.SilentWindow{window(report.ClosePeerReset, 9)}
		}, []wantFinding{{"blackhole_survived", report.SeverityError, []string{"Connection #1 went silent for 1.2s",
			"9 calls missed", "the connection was reset", "ended by peer_reset", "up to 35s (time + timeout)", "--timeout"}}}},
		{"ended by the peer's close: not a crash", func(s *report.Summary) {
			s.Connections[0].SilentWindows = []report.SilentWindow{window(report.ClosePeerEOF, 4)}
			s.Connectivity.Closes[report.ClosePeerEOF] = 1
		}, []wantFinding{{"blackhole_survived", report.SeverityError, []string{"the peer closed the connection"}},
			{"peer_closed_without_goaway", report.SeverityWarn, []string{"end of a silence", "not a separate crash"}}}},
		{"ended by keepalive", func(s *report.Summary) {
			s.Connections[0].SilentWindows = []report.SilentWindow{window(report.ClosePingUnanswered, 3)}
		}, []wantFinding{{"blackhole_survived", report.SeverityError, []string{"a keepalive timeout closed the connection"}}}},
		{"recovered, keepalive off", func(s *report.Summary) {
			s.Options.Target.Keepalive = plan.Keepalive{}
			s.Connectivity.Keepalive = report.KeepaliveStats{}
			s.Connections[0].SilentWindows = []report.SilentWindow{window(report.SilenceRecovered, 2), window(report.ClosePeerEOF, 1)}
		}, []wantFinding{{"blackhole_survived", report.SeverityError, []string{"calls succeeded again", "3 calls",
			"Turn client keepalive on", "below the silence seen (1.2s)", "TCP_USER_TIMEOUT"}}}},
		{"one call is not a window", func(s *report.Summary) {
			s.Connections[0].SilentWindows = []report.SilentWindow{window(report.SilenceRecovered, 1)}
		}, nil},
		{"still silent at the end is blackhole_undetected's", func(s *report.Summary) {
			s.Connections[0].SilentWindows = []report.SilentWindow{window(report.SilenceRunEnd, 5)}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthySummary()
			tt.change(s)
			checkFindings(t, Findings(s), tt.want)
		})
	}
}
