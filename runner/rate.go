package runner

import (
	"math"
	"time"
)

// RateAt is the target rate, in calls per second, at t after the start of
// measurement: RPS, or the schedule's rate then; 0 in closed loop.
func (l *Load) RateAt(t time.Duration) float64 {
	if l.Schedule.Kind == "" {
		return l.RPS
	}
	return l.Schedule.RateAt(t)
}

// RateAt is the schedule's rate at t after its start.
func (s *Schedule) RateAt(t time.Duration) float64 {
	switch s.Kind {
	case scheduleStep:
		steps := math.Floor(t.Seconds() / s.Every.Seconds())
		return math.Min(s.Start+steps*s.Step, s.Max)
	case scheduleRamp:
		if t >= s.Over {
			return s.To
		}
		return s.From + (s.To-s.From)*t.Seconds()/s.Over.Seconds()
	}
	return 0
}

// Endless reports whether the load has no end of its own: no -n, no -z and
// no ramp (whose end ends the run); only an interrupt stops it.
func (l *Load) Endless() bool {
	return l.Total == 0 && l.Duration == 0 && l.Schedule.Kind != scheduleRamp
}
