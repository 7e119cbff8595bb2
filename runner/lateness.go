package runner

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Lateness is how late some calls were handed out: how many, and the
// least, median (within 1%), mean and most of their delays. The zero value
// is none.
type Lateness struct {
	Count               int64
	Min, P50, Mean, Max time.Duration
}

// latenessRec accumulates a Lateness in constant memory; only the pacer's
// goroutine adds to it, and Run reads it once the pacer is done. Its
// median's histogram is made at the first value (a run with none pays
// nothing).
type latenessRec struct {
	n             int64
	min, max, sum time.Duration
	hdr           *hdrhistogram.Histogram
}

func (l *latenessRec) add(d time.Duration) {
	d = max(d, 0)
	if l.hdr == nil {
		l.hdr = hdrhistogram.New(1_000, int64(24*time.Hour), 2)
	}
	if l.n == 0 || d < l.min {
		l.min = d
	}
	l.max, l.sum = max(l.max, d), l.sum+d
	l.n++
	_ = l.hdr.RecordValue(min(max(int64(d), 1_000), int64(24*time.Hour)))
}

func (l *latenessRec) result() Lateness {
	if l.n == 0 {
		return Lateness{}
	}
	p50 := time.Duration(l.hdr.ValueAtPercentile(50))
	return Lateness{Count: l.n, Min: l.min, P50: min(max(p50, l.min), l.max), Mean: l.sum / time.Duration(l.n), Max: l.max}
}
