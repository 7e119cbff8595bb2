package runner

import (
	"testing"
	"time"
)

func TestStillDelivering(t *testing.T) {
	t.Parallel()
	end := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	z := end.Add(-2 * time.Second) // -z ended 2s before the cut (the drain)
	for _, tt := range []struct {
		name      string
		last      time.Time
		measureTo time.Time
		want      int64
	}{
		{"no message", time.Time{}, z, 0},
		{"a message just before the cut", end.Add(-time.Millisecond), z, 1},
		{"a message during the drain", z.Add(time.Millisecond), z, 1},
		{"quiet since before -z", z.Add(-time.Millisecond), z, 0},
		{"no -z, a message within the window", end.Add(-deliveringWindow + time.Millisecond), time.Time{}, 1},
		{"no -z, quiet for the window", end.Add(-deliveringWindow), time.Time{}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &CallStats{End: end, LastReceived: tt.last}
			if got := stillDelivering(s, tt.measureTo); got != tt.want {
				t.Errorf("stillDelivering = %d, want %d", got, tt.want)
			}
		})
	}
}
