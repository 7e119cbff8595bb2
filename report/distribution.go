package report

import (
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Bucket is one row of a latency distribution: the values above the
// previous bucket's upper bound, up to and including Upper.
type Bucket struct {
	Upper time.Duration
	Count int64
}

// LogBuckets splits h's range, min to max, into n log-spaced buckets, so that
// a long tail gets rows of its own instead of one bar. When h holds n or
// fewer distinct values (at its precision), each gets its own bucket.
func LogBuckets(h *Histogram, n int) []Bucket {
	if h == nil || h.Count == 0 || h.hdr == nil || n < 1 {
		return nil
	}
	var bars []hdrhistogram.Bar
	for _, bar := range h.hdr.Distribution() {
		if bar.Count > 0 {
			bars = append(bars, bar)
		}
	}
	if len(bars) <= n {
		out := make([]Bucket, len(bars))
		for i, bar := range bars {
			out[i] = Bucket{Upper: time.Duration(bar.To), Count: bar.Count}
		}
		return out
	}
	lo := float64(max(bars[0].To, 1))
	hi := float64(bars[len(bars)-1].To)
	out := make([]Bucket, n)
	for i := range out {
		out[i].Upper = time.Duration(lo * math.Pow(hi/lo, float64(i+1)/float64(n)))
	}
	out[n-1].Upper = time.Duration(hi)
	i := 0
	for _, bar := range bars {
		for i < n-1 && time.Duration(bar.To) > out[i].Upper {
			i++
		}
		out[i].Count += bar.Count
	}
	return out
}
