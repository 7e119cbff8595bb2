package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Ping-pong streams against a method that answers no message wait until
// the run ends: the finding says so and points to pipeline pacing, and no
// stall rule blames a frozen server. Streams that got answers, or pipeline
// pacing, are left to the stall rules.
func TestPingPongUnanswered(t *testing.T) {
	starved := func(s *report.Summary) {
		s.Kind, s.Options.Call.StreamPacing = event.Bidi, plan.PacingPingPong
		s.Count, s.OK, s.Aborted, s.Cut, s.CutFor = 0, 0, 4, 4, 2*time.Second
		s.Messages = report.Messages{Sent: 4}
	}
	for _, c := range []struct {
		name      string
		set       func(*report.Summary)
		pingpong  bool
		stallRule bool
	}{
		{"no answer", starved, true, false},
		{"no answer, stalled", func(s *report.Summary) { starved(s); s.Stalled = 10 * time.Second }, true, false},
		{"answers", func(s *report.Summary) { starved(s); s.Messages.Received = 3 }, false, true},
		{"pipeline", func(s *report.Summary) { starved(s); s.Options.Call.StreamPacing = plan.PacingPipeline }, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := healthySummary()
			c.set(s)
			fs := Findings(s)
			f, ok := byID(fs, "pingpong_unanswered")
			if ok != c.pingpong {
				t.Fatalf("pingpong_unanswered found %v, want %v (%s)", ok, c.pingpong, describe(fs))
			}
			if ok && (!strings.Contains(f.Title, "ping-pong pacing needs a method that answers each message") ||
				!strings.Contains(f.Fix, "--stream-pacing pipeline") || f.Evidence[0].Value != "4, none answered") {
				t.Errorf("finding %+v", f)
			}
			_, stall := byID(fs, "stall_past_end")
			_, stalled := byID(fs, "run_stalled")
			if stall != c.stallRule || (stalled && !c.stallRule) {
				t.Errorf("stall_past_end %v, run_stalled %v; want the stall rules only when answers came or pipelining (%s)", stall, stalled, describe(fs))
			}
		})
	}
}
