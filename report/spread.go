package report

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Spread summarises a set of durations too small or too local to deserve a
// Histogram: how many, the smallest, mean and largest (exact), and where
// kept, the median (within 1%).
type Spread struct {
	Count int64         `json:"count"`
	Min   time.Duration `json:"min_ns"`
	// P50 is the median; 0 where it is not kept (per connection).
	P50  time.Duration `json:"p50_ns,omitempty"`
	Mean time.Duration `json:"mean_ns"`
	Max  time.Duration `json:"max_ns"`
}

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
	return spreadRec{hdr: hdrhistogram.New(LowestNS, HighestNS, 2)}
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

// spread returns the summary, nil when nothing was recorded.
func (s *spreadRec) spread() *Spread {
	if s.n == 0 {
		return nil
	}
	out := &Spread{Count: s.n, Min: s.min, Mean: s.sum / time.Duration(s.n), Max: s.max}
	if s.hdr != nil {
		out.P50 = min(max(median(s.hdr), s.min), s.max)
	}
	return out
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

// OrZero is the Spread, or its zero value for nil.
func (s *Spread) OrZero() Spread {
	if s == nil {
		return Spread{}
	}
	return *s
}
