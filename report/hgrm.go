package report

import (
	"fmt"
	"io"
	"math"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// hgrmTicks is how many percentile rows each half of the remaining distance
// to 100% gets, as in HdrHistogram's own output (0%, 10%... 50%, 55%...
// 75%, 77.5%...).
const hgrmTicks = 5

// nsPerMS scales the histograms' nanoseconds to the milliseconds the .hgrm
// file is written in.
const nsPerMS = 1e6

// RenderHGRM writes the latency histogram of s as HdrHistogram's percentile
// distribution text (the .hgrm format HdrHistogram's plotter and wrk2's
// tools read), laid out exactly as Java's
// Histogram.outputPercentileDistribution(out, 5, 1e6): values in
// milliseconds, 5 ticks per half distance, the last row (100%) without the
// 1/(1-Percentile) column, then the mean, standard deviation, max, count
// and geometry. One comment line after those says the unit and the series.
func RenderHGRM(w io.Writer, s *Summary) error {
	var b strings.Builder
	writeHGRM(&b, s.Latency.HDR(), nsPerMS)
	b.WriteString("#[Values in milliseconds: latency, from each call's intended start to its end]\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing hgrm report: %w", err)
	}
	return nil
}

// writeHGRM writes h's percentile distribution, values divided by scale, as
// Java's outputPercentileDistribution does (not hdrhistogram-go's
// PercentilesPrint, whose columns differ from what plotters expect).
func writeHGRM(b *strings.Builder, h *hdrhistogram.Histogram, scale float64) {
	digits := int(h.SignificantFigures())
	fmt.Fprintf(b, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, br := range h.CumulativeDistributionWithTicks(hgrmTicks) {
			q := br.Quantile / 100
			v := float64(br.ValueAt) / scale
			if br.Quantile == 100 {
				fmt.Fprintf(b, "%12.*f %2.12f %10d\n", digits, v, q, br.Count)
			} else {
				fmt.Fprintf(b, "%12.*f %2.12f %10d %14.2f\n", digits, v, q, br.Count, 1/(1-q))
			}
		}
	}
	buckets, subBuckets := hdrGeometry(h)
	var maxValue float64 // Java's getMaxValue is 0 for an empty histogram
	if h.TotalCount() > 0 {
		maxValue = float64(h.Max()) / scale
	}
	fmt.Fprintf(b, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", digits, h.Mean()/scale, digits, h.StdDev()/scale)
	fmt.Fprintf(b, "#[Max     = %12.*f, Total count    = %12d]\n", digits, maxValue, h.TotalCount())
	fmt.Fprintf(b, "#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, subBuckets)
}

// hdrGeometry returns the bucket and sub-bucket counts of h, which
// hdrhistogram-go computes (as Java does) but does not export.
func hdrGeometry(h *hdrhistogram.Histogram) (buckets, subBuckets int64) {
	digits := min(max(h.SignificantFigures(), 0), 5)
	subBuckets = int64(1) << uint(math.Ceil(math.Log2(2*math.Pow10(int(digits)))))
	if subBuckets < 2 {
		subBuckets = 2
	}
	unit := uint(math.Floor(math.Log2(float64(max(h.LowestTrackableValue(), 1)))))
	untrackable := subBuckets << unit
	buckets = 1
	for untrackable <= h.HighestTrackableValue() {
		if untrackable > math.MaxInt64/2 {
			return buckets + 1, subBuckets
		}
		untrackable <<= 1
		buckets++
	}
	return buckets, subBuckets
}
