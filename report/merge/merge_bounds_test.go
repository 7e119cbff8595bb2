package merge

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

const year = 365 * 24 * time.Hour

// withSpan is the synthetic unary report started at start, lasting d,
// with one timeline point at second.
func withSpan(t *testing.T, start time.Time, d time.Duration, second int) *report.Summary {
	s := syntheticSummary(t, event.Unary)
	s.StartedAt, s.Duration = report.Timestamp{Time: start}, d
	s.Options.Load.Duration = 0
	s.Timeline = []report.Point{{Second: second, Count: 1}}
	return s
}

// Crafted reports that overlap but span centuries, or have a timeline point
// two billion seconds in, would make Merge allocate a second for every
// second of the span: it refuses them.
func TestMergeRefusesHugeSpans(t *testing.T) {
	base := time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		reports []*report.Summary
		want    string
	}{
		{"200 years apart", []*report.Summary{withSpan(t, base, 99*year, 0), withSpan(t, base.Add(98*year), 99*year, 300_000_000)},
			"more than 744h0m0s after the earliest start"},
		{"a timeline second of 2e9", []*report.Summary{withSpan(t, base, 99*year, 2_000_000_000), withSpan(t, base.Add(time.Second), time.Hour, 0)},
			"timeline[0].second is 2000000000"},
		{"40 days", []*report.Summary{withSpan(t, base, 40*24*time.Hour, 0), withSpan(t, base.Add(time.Hour), time.Hour, 0)},
			"report #1 runs until 1971-02-10T00:00:00Z, more than 744h0m0s after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Reports(tt.reports)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge = %v, %v; want an error saying %q", m != nil, err, tt.want)
			}
		})
	}
	if _, err := Reports([]*report.Summary{withSpan(t, base, 30*24*time.Hour, 0), withSpan(t, base.Add(time.Hour), time.Hour, 0)}); err != nil {
		t.Errorf("30 days: %v", err)
	}
}

func TestMergeRefusesAbsurdSources(t *testing.T) {
	a := withSpan(t, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute, 0)
	b := withSpan(t, a.StartedAt.Add(time.Second), time.Minute, 0)
	b.Sources = []report.Source{{Target: "x", StartedAt: report.Timestamp{Time: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)}, Duration: time.Minute}}
	if _, err := Reports([]*report.Summary{a, b}); err == nil || !strings.Contains(err.Error(), "sources[0].started_at") {
		t.Errorf("Merge error %v, want one naming sources[0].started_at", err)
	}
}
