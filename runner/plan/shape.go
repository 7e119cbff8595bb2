package plan

import (
	"fmt"
	"strconv"
	"time"
)

// Pacer is the shape of a load in time, like vegeta's Pacer: when each call
// is due, the rate aimed at, whether the shape ends the run, and what to
// call it in reports. Load.Pacer builds it once; it is the one place that
// decides the order "stages, then concurrency stages, then schedule, then
// RPS, else closed loop".
type Pacer interface {
	// Due is when call i (0-based) is due, from the start of measurement;
	// false when no call i is ever due (always, in closed loop).
	Due(i int64) (time.Duration, bool)
	// Rate is the target rate, in calls per second, at t after the start of
	// measurement; 0 in closed loop and past the last stage.
	Rate(t time.Duration) float64
	// StartRate is the rate at the start: warm-up runs at it.
	StartRate() float64
	// End is when the shape ends the run by itself (a ramp's OVER, the
	// stages' total); false when it does not.
	End() (time.Duration, bool)
	// Shaped reports whether the load changes over time (a schedule or
	// stages) rather than holding a rate or a number of workers.
	Shaped() bool
	// String is the shape in the flags that make it: "--rps 100",
	// "--schedule ramp:10,100,1m0s", "closed loop".
	String() string
	// Describe is the shape in words for reports ("open loop 100/s",
	// "closed loop concurrency stages 1s:5"), rates written by rate.
	Describe(rate func(float64) string) string
}

// Pacer returns the load's pacer.
func (l *Load) Pacer() Pacer {
	switch {
	case len(l.Stages) > 0:
		return newStagesPacer(l.RPS, l.Stages)
	case len(l.ConcurrencyStages) > 0:
		return concurrencyPacer(l.ConcurrencyStages)
	case l.Schedule.Kind == ScheduleStep:
		return stepPacer(l.Schedule)
	case l.Schedule.Kind == ScheduleRamp:
		return rampPacer(l.Schedule)
	case l.RPS > 0:
		return ConstantPacer(l.RPS)
	}
	return closedLoop{}
}

// StartRate is the rate the load starts at (Pacer's StartRate).
func (l *Load) StartRate() float64 { return l.Pacer().StartRate() }

func rateFlag(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) }

func (r ConstantPacer) Rate(time.Duration) float64 { return float64(r) }
func (r ConstantPacer) StartRate() float64         { return float64(r) }
func (ConstantPacer) End() (time.Duration, bool)   { return 0, false }
func (ConstantPacer) Shaped() bool                 { return false }
func (r ConstantPacer) String() string             { return "--rps " + rateFlag(float64(r)) }
func (r ConstantPacer) Describe(rate func(float64) string) string {
	return fmt.Sprintf("open loop %s/s", rate(float64(r)))
}

func (s stepPacer) Rate(t time.Duration) float64 { return (*Schedule)(&s).RateAt(t) }
func (s stepPacer) StartRate() float64           { return s.Start }
func (stepPacer) End() (time.Duration, bool)     { return 0, false }
func (stepPacer) Shaped() bool                   { return true }
func (s stepPacer) String() string               { return "--schedule " + (*Schedule)(&s).String() }
func (s stepPacer) Describe(func(float64) string) string {
	return "open loop " + (*Schedule)(&s).String()
}

func (s rampPacer) Rate(t time.Duration) float64 { return (*Schedule)(&s).RateAt(t) }
func (s rampPacer) StartRate() float64           { return s.From }
func (s rampPacer) End() (time.Duration, bool)   { return s.Over, true }
func (rampPacer) Shaped() bool                   { return true }
func (s rampPacer) String() string               { return "--schedule " + (*Schedule)(&s).String() }
func (s rampPacer) Describe(func(float64) string) string {
	return "open loop " + (*Schedule)(&s).String()
}

func (p *stagesPacer) Rate(t time.Duration) float64 {
	if t >= p.stages.Total() {
		return 0
	}
	return p.stages.At(p.start, t)
}
func (p *stagesPacer) StartRate() float64         { return p.start }
func (p *stagesPacer) End() (time.Duration, bool) { return p.stages.Total(), true }
func (p *stagesPacer) Shaped() bool               { return true }
func (p *stagesPacer) String() string {
	return "--rps " + rateFlag(p.start) + " --stages " + p.stages.String()
}
func (p *stagesPacer) Describe(rate func(float64) string) string {
	if p.start > 0 {
		return fmt.Sprintf("open loop from %s/s, stages %s", rate(p.start), p.stages.String())
	}
	return "open loop stages " + p.stages.String()
}

// concurrencyPacer is closed loop with a number of workers moving along
// stages: no call is due on a rate.
type concurrencyPacer Stages

func (concurrencyPacer) Due(int64) (time.Duration, bool) { return 0, false }
func (concurrencyPacer) Rate(time.Duration) float64      { return 0 }
func (concurrencyPacer) StartRate() float64              { return 0 }
func (p concurrencyPacer) End() (time.Duration, bool)    { return Stages(p).Total(), true }
func (concurrencyPacer) Shaped() bool                    { return true }
func (p concurrencyPacer) String() string {
	return "--concurrency-stages " + (*Stages)(&p).String()
}
func (p concurrencyPacer) Describe(func(float64) string) string {
	return "closed loop concurrency stages " + (*Stages)(&p).String()
}

// closedLoop is closed loop with a fixed number of workers.
type closedLoop struct{}

func (closedLoop) Due(int64) (time.Duration, bool)      { return 0, false }
func (closedLoop) Rate(time.Duration) float64           { return 0 }
func (closedLoop) StartRate() float64                   { return 0 }
func (closedLoop) End() (time.Duration, bool)           { return 0, false }
func (closedLoop) Shaped() bool                         { return false }
func (closedLoop) String() string                       { return "closed loop" }
func (closedLoop) Describe(func(float64) string) string { return "closed loop" }
