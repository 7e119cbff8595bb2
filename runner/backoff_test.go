package runner

import (
	"testing"
	"time"
)

// backoffDelay is grpc-go's backoff.Exponential: the first retry waits the
// base exactly, later ones grow by the multiplier up to the max, jittered.
func TestBackoffDelay(t *testing.T) {
	base, maxDelay := time.Second, 5*time.Second
	for range 100 {
		if d := backoffDelay(base, maxDelay, 1.6, 0.2, 0); d != base {
			t.Fatalf("first retry waits %v, want the base %v unjittered", d, base)
		}
		if d := backoffDelay(base, maxDelay, 1.6, 0.2, 1); d < 1280*time.Millisecond || d > 1920*time.Millisecond {
			t.Fatalf("second retry waits %v, want 1.6s ± 20%%", d)
		}
		if d := backoffDelay(base, maxDelay, 1.6, 0.2, 20); d < 4*time.Second || d > 6*time.Second {
			t.Fatalf("a late retry waits %v, want the max 5s ± 20%%", d)
		}
	}
}
