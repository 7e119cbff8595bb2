package cputime

import "testing"

// Spinning takes CPU time, and Self sees it grow.
func TestSelfGrows(t *testing.T) {
	start := Self()
	if start <= 0 {
		t.Fatalf("Self() = %v at start, want > 0 (the runtime has run)", start)
	}
	x := 0
	for Self()-start < 20_000_000 { // 20 ms of CPU, bounded by the test timeout
		for i := 0; i < 1e6; i++ {
			x += i
		}
	}
	_ = x
}
