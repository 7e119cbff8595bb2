package text

import (
	"bytes"
	"math"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// A Summary made in memory is not validated: its renderers must survive
// extreme values all the same.
func TestRenderersSurviveExtremeValues(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	s.Duration = math.MinInt64
	s.Latency.Max, s.Latency.Min = math.MaxInt64, math.MinInt64
	s.Timeline = []report.Point{{Second: 0, Count: 1, P50: math.MinInt64, Max: math.MaxInt64}}
	var buf bytes.Buffer
	for _, render := range []func() error{
		func() error { return Render(&buf, s, PlainStyles(), 100) },
		func() error { return RenderMarkdown(&buf, s) },
		func() error { return report.RenderCSV(&buf, s) },
		func() error { return report.RenderHGRM(&buf, s) },
	} {
		if err := render(); err != nil {
			t.Fatal(err)
		}
	}
}
