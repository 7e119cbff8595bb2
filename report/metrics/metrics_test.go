package metrics

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

func TestBucketCounts(t *testing.T) {
	h := report.NewHDR()
	for _, d := range []time.Duration{200 * time.Microsecond, 900 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Minute} {
		if err := h.RecordValue(int64(d)); err != nil {
			t.Fatal(err)
		}
	}
	counts, total, sum := bucketCounts(h, []float64{0.00025, 0.001, 0.005, 60})
	want := map[float64]uint64{0.00025: 1, 0.001: 2, 0.005: 4, 60: 4} // 1ms's bin reaches past 1ms; 2m is only in +Inf
	for b, n := range want {
		if counts[b] != n {
			t.Errorf("le=%g: %d, want %d (all %v)", b, counts[b], n, counts)
		}
	}
	if total != 5 {
		t.Errorf("total %d, want 5", total)
	}
	if sum < 120 || sum > 121 {
		t.Errorf("sum %gs, want about 120.005s", sum)
	}
}
