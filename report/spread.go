package report

import (
	"time"
)

// Spread summarises a set of durations too small or too local to deserve a
// Histogram: how many, the smallest, mean and largest (exact), and where
// kept, the median (within 1%).
type Spread struct {
	Count int64         `json:"count"`
	Min   time.Duration `json:"min_ns"`
	// P50 is the median; 0 where it is not kept (per connection).
	P50  time.Duration `json:"p50_ns,omitempty"`
	Mean time.Duration `json:"mean_ns"`
	Max  time.Duration `json:"max_ns"`
}

// OrZero is the Spread, or its zero value for nil.
func (s *Spread) OrZero() Spread {
	if s == nil {
		return Spread{}
	}
	return *s
}
