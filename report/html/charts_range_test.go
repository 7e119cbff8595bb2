package html

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// The latency timeline's y axis spans the data, so that p50, p99 and max
// at high latencies are apart (they fill at least half the height); low
// latencies keep 0 at the bottom.
func TestLatencyRange(t *testing.T) {
	pt := func(p50, p99, top time.Duration) report.Point {
		return report.Point{Count: 10, P50: p50, P99: p99, Max: top}
	}
	ms := time.Millisecond
	tests := []struct {
		name     string
		points   []report.Point
		fromZero bool
	}{
		{"high and close", []report.Point{pt(500*ms, 540*ms, 580*ms), pt(510*ms, 560*ms, 600*ms)}, false},
		{"seconds without calls are left out", []report.Point{pt(2000*ms, 2100*ms, 2150*ms), {}}, false},
		{"low: from 0", []report.Point{pt(1*ms, 5*ms, 9*ms)}, true},
		{"none", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, step := latencyRange(tt.points)
			if step <= 0 || hi <= lo || (lo == 0) != tt.fromZero {
				t.Fatalf("[%s, %s] by %s; from 0: want %v", time.Duration(lo), time.Duration(hi), time.Duration(step), tt.fromZero)
			}
			least, most := time.Hour, time.Duration(0)
			for _, p := range tt.points {
				if p.Count > 0 {
					least, most = min(least, p.P50), max(most, p.Max)
				}
			}
			if most == 0 {
				return
			}
			if float64(least) < lo || float64(most) > hi {
				t.Errorf("[%s, %s] leaves out the data [%s, %s]", time.Duration(lo), time.Duration(hi), least, most)
			}
			if !tt.fromZero && float64(most-least) < (hi-lo)/2 {
				t.Errorf("[%s, %s]: the data [%s, %s] fill less than half of it", time.Duration(lo), time.Duration(hi), least, most)
			}
		})
	}
}
