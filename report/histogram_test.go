package report

import (
	"math"
	"testing"
	"time"
)

// within reports whether got is within HdrHistogram's precision (3
// significant digits: 0.1%) of want.
func within(got, want time.Duration) bool {
	return math.Abs(float64(got-want)) <= math.Max(float64(want)/1000, LowestNS)
}

func TestHistogramFigures(t *testing.T) {
	tests := []struct {
		name   string
		values func(record func(time.Duration))
		want   Histogram
	}{
		{
			name: "1 to 1000 ms",
			values: func(rec func(time.Duration)) {
				for i := 1; i <= 1000; i++ {
					rec(time.Duration(i) * time.Millisecond)
				}
			},
			want: Histogram{Count: 1000, Min: time.Millisecond, Mean: 500500 * time.Microsecond,
				P50: 500 * time.Millisecond, P90: 900 * time.Millisecond, P99: 990 * time.Millisecond,
				P999: 999 * time.Millisecond, Max: time.Second},
		},
		{
			name: "one value",
			values: func(rec func(time.Duration)) {
				rec(1234 * time.Microsecond)
			},
			want: Histogram{Count: 1, Min: 1234 * time.Microsecond, Mean: 1234 * time.Microsecond,
				P50: 1234 * time.Microsecond, P90: 1234 * time.Microsecond, P99: 1234 * time.Microsecond,
				P999: 1234 * time.Microsecond, Max: 1234 * time.Microsecond},
		},
		{
			name: "a tail of 1 in 100",
			values: func(rec func(time.Duration)) {
				for i := range 1000 {
					if i%100 == 99 {
						rec(2 * time.Second)
					} else {
						rec(10 * time.Millisecond)
					}
				}
			},
			want: Histogram{Count: 1000, Min: 10 * time.Millisecond, Mean: 29900 * time.Microsecond,
				P50: 10 * time.Millisecond, P90: 10 * time.Millisecond, P99: 10 * time.Millisecond,
				P999: 2 * time.Second, Max: 2 * time.Second},
		},
		{
			name: "out of range values are clamped",
			values: func(rec func(time.Duration)) {
				rec(-time.Second)
				rec(2 * time.Hour)
			},
			want: Histogram{Count: 2, Min: 0, Mean: 30 * time.Minute, P50: 0, P90: time.Hour, P99: time.Hour,
				P999: time.Hour, Max: time.Hour},
		},
		{
			name:   "empty",
			values: func(func(time.Duration)) {},
			want:   Histogram{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHDR()
			tt.values(func(d time.Duration) { record(h, d) })
			got := NewHistogram(h)
			if got.Count != tt.want.Count {
				t.Errorf("count = %d, want %d", got.Count, tt.want.Count)
			}
			for _, f := range []struct {
				name      string
				got, want time.Duration
			}{
				{"min", got.Min, tt.want.Min}, {"mean", got.Mean, tt.want.Mean},
				{"p50", got.P50, tt.want.P50}, {"p90", got.P90, tt.want.P90},
				{"p99", got.P99, tt.want.P99}, {"p99.9", got.P999, tt.want.P999},
				{"max", got.Max, tt.want.Max},
			} {
				if !within(f.got, f.want) {
					t.Errorf("%s = %v, want %v (±0.1%%)", f.name, f.got, f.want)
				}
			}
		})
	}
}

func TestHistogramPercentileEmpty(t *testing.T) {
	var h *Histogram
	if got := h.Percentile(99); got != 0 {
		t.Errorf("nil histogram p99 = %v, want 0", got)
	}
	if got := (&Histogram{}).HDR().TotalCount(); got != 0 {
		t.Errorf("zero Histogram's HDR has %d values", got)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{850, "850ns"},
		{1000, "1µs"},
		{12345, "12.3µs"},
		{850 * time.Microsecond, "850µs"},
		{999_700, "1ms"},
		{1_234_567, "1.23ms"},
		{1_000_447, "1ms"},
		{20 * time.Millisecond, "20ms"},
		{2500 * time.Millisecond, "2.5s"},
		{59_990 * time.Millisecond, "60s"},
		{90 * time.Second, "1m30s"},
		{time.Hour + 1234*time.Millisecond, "1h0m1.2s"},
		{-1500 * time.Microsecond, "-1.5ms"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatDuration(tt.in); got != tt.want {
				t.Errorf("formatDuration(%d) = %q, want %q", int64(tt.in), got, tt.want)
			}
		})
	}
}

func TestLogBuckets(t *testing.T) {
	h := NewHDR()
	for range 90 {
		record(h, time.Millisecond)
	}
	for range 9 {
		record(h, 10*time.Millisecond)
	}
	for range 5 {
		record(h, 2*time.Millisecond)
	}
	record(h, 50*time.Millisecond)
	record(h, 100*time.Millisecond)
	buckets := LogBuckets(NewHistogram(h), 4)
	if len(buckets) != 4 {
		t.Fatalf("got %d buckets, want 4", len(buckets))
	}
	wantCounts := []int64{95, 9, 0, 2} // ≤ 3.16ms, ≤ 10ms, ≤ 31.6ms, ≤ 100ms
	var total int64
	for i, b := range buckets {
		if b.Count != wantCounts[i] {
			t.Errorf("bucket %d (≤ %v) has %d, want %d", i, b.Upper, b.Count, wantCounts[i])
		}
		if i > 0 && b.Upper <= buckets[i-1].Upper {
			t.Errorf("bucket %d upper %v not above %v", i, b.Upper, buckets[i-1].Upper)
		}
		total += b.Count
	}
	if total != 106 {
		t.Errorf("buckets hold %d values, want 106", total)
	}
	if got := buckets[3].Upper; !within(got, 100*time.Millisecond) {
		t.Errorf("last bucket upper = %v, want the max", got)
	}

	one := NewHDR()
	record(one, time.Millisecond)
	record(one, time.Millisecond)
	record(one, 3*time.Millisecond)
	if got := LogBuckets(NewHistogram(one), 4); len(got) != 2 || got[0].Count != 2 || got[1].Count != 1 {
		t.Errorf("2 distinct values gave %v, want a bucket of 2 and one of 1", got)
	}
	if got := LogBuckets(NewHistogram(NewHDR()), 4); got != nil {
		t.Errorf("empty histogram gave %v", got)
	}
}
