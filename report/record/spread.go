package record

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner"
)

// spreadRec accumulates a Spread in constant memory. Its median comes from a
// coarse HdrHistogram (2 significant digits, about 28 KB), made only by
// newMedianSpread: connections keep no median, the run's few spreads do.
type spreadRec struct {
	n        int64
	min, max time.Duration
	sum      time.Duration
	hdr      *hdrhistogram.Histogram
}

func newMedianSpread() spreadRec {
	return spreadRec{hdr: hdrhistogram.New(report.LowestNS, report.HighestNS, 2)}
}

// add records d; a negative d (events out of order) counts as 0.
func (s *spreadRec) add(d time.Duration) {
	d = max(d, 0)
	if s.n == 0 || d < s.min {
		s.min = d
	}
	s.max = max(s.max, d)
	s.sum += d
	s.n++
	if s.hdr != nil {
		record(s.hdr, d)
	}
}

// addMedian is add for a spread that keeps a median: its HdrHistogram is
// made at the first value, so a run that never needs it pays nothing.
func (s *spreadRec) addMedian(d time.Duration) {
	if s.hdr == nil {
		s.hdr = hdrhistogram.New(report.LowestNS, report.HighestNS, 2)
	}
	s.add(d)
}

// merge adds o's values to s.
func (s *spreadRec) merge(o *spreadRec) {
	if o.n == 0 {
		return
	}
	if s.n == 0 || o.min < s.min {
		s.min = o.min
	}
	s.max = max(s.max, o.max)
	s.sum += o.sum
	s.n += o.n
	if o.hdr != nil {
		if s.hdr == nil {
			s.hdr = hdrhistogram.New(report.LowestNS, report.HighestNS, 2)
		}
		s.hdr.Merge(o.hdr)
	}
}

// spread returns the summary, nil when nothing was recorded.
func (s *spreadRec) spread() *report.Spread {
	if s.n == 0 {
		return nil
	}
	out := &report.Spread{Count: s.n, Min: s.min, Mean: s.sum / time.Duration(s.n), Max: s.max}
	if s.hdr != nil {
		out.P50 = min(max(median(s.hdr), s.min), s.max)
	}
	return out
}

// latenessSpread is the runner's Lateness as a Spread, nil for none.
func latenessSpread(l runner.Lateness) *report.Spread {
	if l.Count == 0 {
		return nil
	}
	return &report.Spread{Count: l.Count, Min: l.Min, P50: l.P50, Mean: l.Mean, Max: l.Max}
}

// median is the middle of the bucket holding h's median (ValueAtPercentile
// gives the bucket's top, 1% high at 2 significant digits).
func median(h *hdrhistogram.Histogram) time.Duration {
	half, seen := (h.TotalCount()+1)/2, int64(0)
	for _, bar := range h.Distribution() {
		if seen += bar.Count; seen >= half {
			return time.Duration((bar.From + bar.To) / 2)
		}
	}
	return 0
}
