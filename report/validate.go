package report

import (
	"errors"
	"fmt"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// The bounds ReadJSON holds a report to. A report outside them was not
// written by grpcpulse: it is refused (ErrCorrupt) rather than rendered or
// merged, where an absurd value would overflow arithmetic or size an
// allocation.
const (
	// MaxReportDuration bounds every duration of a report (a run, a rate
	// window, an event time, a connection's unavailable time): 100 years.
	MaxReportDuration = 100 * 365 * 24 * time.Hour
	// MaxTimelineSecond bounds a timeline point's second: 10 years.
	MaxTimelineSecond = 10 * 365 * 24 * 3600
	// MaxConnections bounds connection indexes and pool sizes.
	MaxConnections = 1 << 20
	// maxHistogramNS bounds a histogram's figures: its highest trackable
	// value, with room for HdrHistogram's rounding up to a bucket's top.
	maxHistogramNS = 2 * HighestNS
	// maxSeries bounds the series of a report (each holds a histogram).
	maxSeries = 64
	// maxMapKeys bounds every other map of a report.
	maxMapKeys = 100_000
)

// The range of a report's wall-clock times (started_at): from the Unix
// epoch, as a machine without a clock may start, to the end of what
// time.Time.UnixNano can say.
var (
	minStartedAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStartedAt = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ErrCorrupt means a report's fields hold values no run can produce (a
// negative count, a duration of centuries, a timeline second past the end
// of the run); the error names the first such field.
var ErrCorrupt = errors.New("corrupt report")

// Validate checks every numeric field of s against what a run can produce,
// and returns an ErrCorrupt error naming the first field that is not. The
// fields are found by walking s (validate_walk.go), so a field added to a
// report is checked without a list to keep: a count or a duration is 0 or
// more, a float finite and 0 or more, unless fieldBounds gives it a range.
// Beside the values, it checks what relates fields: percentiles in order,
// timeline seconds rising within the run, and the histograms' geometry.
func Validate(s *Summary) error {
	c := &checker{}
	c.values(s)
	c.timeline(s)
	c.mapSize("series", len(s.Series), maxSeries)
	switch s.Engine {
	case "", plan.EngineGRPC, plan.EngineH2, EngineMixed:
	default:
		c.fail("engine", fmt.Sprintf("%q", s.Engine), `"grpc", "h2" or "mixed"`)
	}
	return c.err
}

// checker keeps the first fault it is told of.
type checker struct{ err error }

func (c *checker) fail(field string, v any, want string) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: field %s is %v (want %s)", ErrCorrupt, field, v, want)
	}
}

func (c *checker) startedAt(field string, t time.Time) {
	if t.Before(minStartedAt) || !t.Before(maxStartedAt) {
		c.fail(field, t.UTC().Format(time.RFC3339), "a time from 1970 to 2261")
	}
}

func (c *checker) mapSize(field string, n, most int) {
	if n > most {
		c.fail(field, fmt.Sprintf("a map of %d entries", n), fmt.Sprintf("at most %d", most))
	}
}

// histogram checks what relates a histogram's figures (each is in range
// by the walk): percentiles in order, and its HdrHistogram of the one
// geometry reports share.
func (c *checker) histogram(field string, h *Histogram) {
	if h == nil {
		return
	}
	figures := []struct {
		name string
		v    time.Duration
	}{{"min_ns", h.Min}, {"mean_ns", h.Mean}, {"p50_ns", h.P50}, {"p90_ns", h.P90}, {"p99_ns", h.P99}, {"p999_ns", h.P999}, {"max_ns", h.Max}}
	for i := 3; i < len(figures); i++ {
		if figures[i].v < figures[i-1].v {
			c.fail(field+"."+figures[i].name, int64(figures[i].v), "at least its "+figures[i-1].name+", "+fmt.Sprint(int64(figures[i-1].v)))
		}
	}
	if h.Min > h.Max {
		c.fail(field+".min_ns", int64(h.Min), "at most its max_ns, "+fmt.Sprint(int64(h.Max)))
	}
	if hdr := h.hdr; hdr != nil && (hdr.LowestTrackableValue() != LowestNS || hdr.HighestTrackableValue() != HighestNS || hdr.SignificantFigures() != sigDigits) {
		c.fail(field+".hdr", fmt.Sprintf("a histogram of %d to %d ns at %d digits", hdr.LowestTrackableValue(), hdr.HighestTrackableValue(), hdr.SignificantFigures()),
			fmt.Sprintf("%d to %d ns at %d digits", LowestNS, HighestNS, sigDigits))
	}
}

// timeline checks that seconds rise, within the run's duration (its whole
// seconds + 1) and MaxTimelineSecond.
func (c *checker) timeline(s *Summary) {
	last := min(int64(s.Duration/time.Second)+1, MaxTimelineSecond)
	prev := -1
	for i, p := range s.Timeline {
		if p.Second <= prev || int64(p.Second) > last {
			c.fail(fmt.Sprintf("timeline[%d].second", i), p.Second, fmt.Sprintf("%d to %d, after the second before it", prev+1, last))
		}
		prev = p.Second
	}
}
