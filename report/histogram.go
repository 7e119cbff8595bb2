package report

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The geometry of every histogram: nanoseconds from 1 µs to 1 h with 3
// significant digits. Reports are only mergeable because all share it.
const (
	LowestNS  = 1_000
	HighestNS = 3_600_000_000_000
	sigDigits = 3
)

// NewHDR returns an empty HdrHistogram of the geometry every histogram of
// a report shares.
func NewHDR() *hdrhistogram.Histogram { return hdrhistogram.New(LowestNS, HighestNS, sigDigits) }

// Histogram is a distribution of durations: the figures most readers want,
// and the HdrHistogram they came from (kept so that other percentiles can be
// read and reports merged exactly). The zero value is an empty histogram.
type Histogram struct {
	Count int64
	Min   time.Duration
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
	P999  time.Duration
	Max   time.Duration

	hdr *hdrhistogram.Histogram
	// sum is the sum of the values, when known (NewHistogramSum, or read
	// from a report that has sum_ns): Mean is then exact, and stays so in a
	// merge.
	sum    float64
	hasSum bool
}

// NewHistogram summarises h, which it keeps (callers hand over ownership).
func NewHistogram(h *hdrhistogram.Histogram) *Histogram {
	if h.TotalCount() == 0 {
		return &Histogram{hdr: h}
	}
	p := func(q float64) time.Duration { return time.Duration(h.ValueAtPercentile(q)) }
	return &Histogram{
		Count: h.TotalCount(),
		Min:   time.Duration(h.Min()),
		Mean:  time.Duration(math.Round(h.Mean())),
		P50:   p(50),
		P90:   p(90),
		P99:   p(99),
		P999:  p(99.9),
		Max:   time.Duration(h.Max()),
		hdr:   h,
	}
}

// NewHistogramSum is NewHistogram with the exact mean: sum is the sum of
// the values recorded in h (in nanoseconds), which the histogram's own
// mean only approximates (each value counts as the middle of its bucket).
func NewHistogramSum(h *hdrhistogram.Histogram, sum float64) *Histogram {
	out := NewHistogram(h)
	out.sum, out.hasSum = sum, true
	if out.Count > 0 {
		out.Mean = time.Duration(math.Round(sum / float64(out.Count)))
	}
	return out
}

// Sum is the sum of the histogram's values in nanoseconds: as recorded,
// or, for a histogram read from a report older than sum_ns, Mean times
// Count. Merging adds sums, so that a merged mean stays exact.
func (h *Histogram) Sum() float64 {
	switch {
	case h == nil:
		return 0
	case h.hasSum:
		return h.sum
	}
	return float64(h.Mean) * float64(h.Count)
}

// Percentile returns the value below or at which p percent (0-100) of the
// durations fall, at the histogram's precision; 0 when it is empty.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h == nil || h.hdr == nil {
		return 0
	}
	return time.Duration(h.hdr.ValueAtPercentile(p))
}

// HDR returns the underlying histogram (nanoseconds). It is shared, not
// copied: Clone it before changing it.
func (h *Histogram) HDR() *hdrhistogram.Histogram {
	if h == nil || h.hdr == nil {
		return NewHDR()
	}
	return h.hdr
}

// HasHDR reports whether h holds its HdrHistogram (every histogram this
// package reads or makes does; a hand-made one may hold only figures).
func (h *Histogram) HasHDR() bool { return h != nil && h.hdr != nil }

// histogramJSON is the wire form of a Histogram.
type histogramJSON struct {
	Count int64         `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
	// Sum is the sum of the values (ns), which makes the mean of a merge
	// exact; absent in reports written before it existed.
	Sum *float64 `json:"sum_ns,omitempty"`
	// HDR is the V2 compressed encoding, which hdrhistogram-go already
	// returns in base64.
	HDR string `json:"hdr"`
}

// MarshalJSON writes the figures and the histogram in HdrHistogram's V2
// compressed encoding (base64).
func (h *Histogram) MarshalJSON() ([]byte, error) {
	enc, err := h.HDR().Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encoding histogram: %w", err)
	}
	w := histogramJSON{
		Count: h.Count, Min: h.Min, Mean: h.Mean, P50: h.P50, P90: h.P90,
		P99: h.P99, P999: h.P999, Max: h.Max, HDR: string(enc),
	}
	if h.hasSum {
		w.Sum = &h.sum
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the figures as written and decodes the histogram.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var w histogramJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.HDR == "" {
		return fmt.Errorf("histogram has no hdr encoding")
	}
	hdr, err := hdrhistogram.Decode([]byte(w.HDR))
	if err != nil {
		return fmt.Errorf("decoding histogram: %w", err)
	}
	*h = Histogram{
		Count: w.Count, Min: w.Min, Mean: w.Mean, P50: w.P50, P90: w.P90,
		P99: w.P99, P999: w.P999, Max: w.Max, hdr: hdr,
	}
	if w.Sum != nil {
		h.sum, h.hasSum = *w.Sum, true
	}
	return nil
}
