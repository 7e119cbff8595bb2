package plan

import (
	"math"
	"time"
)

// RateAt is the target rate, in calls per second, at t after the start of
// measurement: RPS, or the schedule's or the stages' rate then; 0 in closed
// loop. Past the last stage it is 0: the run is over.
func (l *Load) RateAt(t time.Duration) float64 { return l.Pacer().Rate(t) }

// RateAt is the schedule's rate at t after its start.
func (s *Schedule) RateAt(t time.Duration) float64 {
	switch s.Kind {
	case ScheduleStep:
		steps := math.Floor(t.Seconds() / s.Every.Seconds())
		return math.Min(s.Start+steps*s.Step, s.Max)
	case ScheduleRamp:
		if t >= s.Over {
			return s.To
		}
		return s.From + (s.To-s.From)*t.Seconds()/s.Over.Seconds()
	}
	return 0
}

// ConcurrencyAt is the number of workers ConcurrencyStages asks for at t
// after the start of measurement (a worker is in use while the stages'
// level is above its number); Concurrency without concurrency stages.
func (l *Load) ConcurrencyAt(t time.Duration) int {
	if len(l.ConcurrencyStages) == 0 {
		return l.Concurrency
	}
	if t >= l.ConcurrencyStages.Total() {
		return 0
	}
	return int(math.Ceil(l.ConcurrencyStages.At(0, t)))
}

// Endless reports whether the load has no end of its own: no -n, no -z, no
// ramp and no stages (whose end ends the run); only an interrupt stops it.
func (l *Load) Endless() bool {
	_, ends := l.Pacer().End()
	return l.Total == 0 && l.Duration == 0 && !ends
}

// TargetCalls is how many calls the load's rate has due from `from` to `to`
// after the start of measurement (for a timeline's target beside the calls
// achieved): exact, counted on the same pacer the run uses, in O(log n)
// steps; 0 in closed loop. With Duration set, no call is due after it.
func (l *Load) TargetCalls(from, to time.Duration) int64 {
	if !l.OpenLoop() || to <= from {
		return 0
	}
	if d := l.Duration; d == 0 && len(l.Stages) > 0 {
		to = min(to, l.Stages.Total())
	} else if d > 0 {
		to = min(to, d)
	}
	if to <= from {
		return 0
	}
	p := l.Pacer()
	origin := time.Unix(0, 0)
	return DueBefore(p, 0, origin, origin.Add(to), l.Total) - DueBefore(p, 0, origin, origin.Add(from), l.Total)
}
