package record

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/grpcpulse/grpcpulse/report"
)

// record adds d to h, clamped into the histogram's range: RecordValue fails
// above the highest trackable value, and a negative duration (a clock step)
// is better counted as 0 than lost.
// It returns the value recorded, for the exact sums of means.
func record(h *hdrhistogram.Histogram, d time.Duration) float64 {
	v := int64(d)
	if v < 0 {
		v = 0
	} else if v > report.HighestNS {
		v = report.HighestNS
	}
	_ = h.RecordValue(v) // cannot fail in range
	return float64(v)
}
