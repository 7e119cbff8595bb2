package record

import (
	"sort"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/grpcpulse/grpcpulse/report"
)

// highest is the largest latency a histogram holds; longer ones count as it.
const highest = time.Duration(report.HighestNS)

// Cut records n calls the run cut before they finished (in flight at the
// drain limit, or due but never started), the k-th due at first + k×every:
// each goes into the latency histogram at its lower bound, end minus its
// due time (0 when it was due after end), and counts in Summary.Cut. They
// are not calls that ended: they are not in Count, the service time or the
// timeline. It implements runner.CutRecorder; Run calls it before End.
//
// It takes time in the number of histogram buckets the bounds span, not in
// n: the calls whose bounds share a bucket are recorded together.
func (r *Recorder) Cut(first time.Time, every time.Duration, n int64, end time.Time) {
	if n <= 0 {
		return
	}
	every = max(every, 0)
	s := r.shards[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut += n
	h := s.latency
	top := end.Sub(first) // the bound of call k is top - k×every
	s.cutFor = max(s.cutFor, min(top, highest))
	for k := int64(0); k < n; {
		v := top - time.Duration(k)*every
		var j int64 // the calls k..j-1 are recorded at v
		switch {
		case every == 0 || v <= 0:
			v, j = max(min(v, highest), 0), n
		case v >= highest:
			v, j = highest, min(n, int64((top-highest)/every)+1)
		default:
			lo := time.Duration(lowestEquivalent(h, int64(v)))
			j = min(n, int64((top-lo)/every)+1)
		}
		j = max(j, k+1)
		cnt := j - k
		_ = h.RecordValues(int64(v), cnt) // in range
		s.latencySum += float64(cnt) * float64(v)
		if v < highest && every > 0 && v > 0 {
			// Not v each but v, v-every, ...: their exact sum.
			s.latencySum -= float64(every) * float64(cnt) * float64(cnt-1) / 2
		}
		k = j
	}
}

// lowestEquivalent is the smallest value h counts in the same bucket as v
// (hdrhistogram-go does not export it). A bucket is never wider than
// v/1024 or the lowest discernible value's power of two, so the search
// stays within v/512 + 2048 below v.
func lowestEquivalent(h *hdrhistogram.Histogram, v int64) int64 {
	from := max(v-v/512-2048, 0)
	i := sort.Search(int(v-from), func(i int) bool { return h.ValuesAreEquivalent(from+int64(i), v) })
	return from + int64(i)
}
