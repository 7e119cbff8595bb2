// Package findmax searches the highest open-loop rate a target sustains
// within a service-level objective: steps at rising rates until one fails,
// then bisection between the highest that passed and the lowest that
// failed. It knows nothing of gRPC, flags or reports: the caller runs each
// step (a normal measured run at the rate) and says whether it passed.
package findmax

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Stop says why a search ended.
type Stop string

// The ways a search ends.
const (
	// StopConverged: the highest passing and lowest failing rates are
	// within Limits.Precision of each other.
	StopConverged Stop = "converged"
	// StopTopRate: the step at Limits.Top passed; the target may sustain
	// more.
	StopTopRate Stop = "top_rate"
	// StopTimeLimit: another step would have outlasted Limits.Time.
	StopTimeLimit Stop = "time_limit"
	// StopNonePassed: every step failed down to Limits.Floor.
	StopNonePassed Stop = "none_passed"
	// StopInterrupted: the context was cancelled (Ctrl-C) during a step,
	// which is not counted.
	StopInterrupted Stop = "interrupted"
	// StopError: a step could not be run (Search returns the error).
	StopError Stop = "error"
)

// Limits bound a search.
type Limits struct {
	// Start is the first rate tried, in calls per second (> 0).
	Start float64
	// Top is the highest rate tried; a pass there ends the search
	// (StopTopRate).
	Top float64
	// Time is the most the search may take; a step is not started when
	// the time spent plus Step would pass it. 0 means no limit.
	Time time.Duration
	// Step is how long one step takes (warm-up and measurement), for the
	// time limit.
	Step time.Duration
	// Factor multiplies the rate while every step passes (> 1; 2 when 0).
	Factor float64
	// Precision ends the bisection when the lowest failing rate is within
	// this fraction of the highest passing one (0.05 when 0).
	Precision float64
	// Floor is the lowest rate tried when even Start fails (1/s when 0).
	Floor float64
}

// Defaults for Limits' zero values.
const (
	DefaultFactor    = 2
	DefaultPrecision = 0.05
	DefaultFloor     = 1
)

// Validate refuses limits a search cannot run with.
func (l Limits) Validate() error {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	switch {
	case !finite(l.Start) || l.Start <= 0:
		return fmt.Errorf("the starting rate must be above 0, not %g", l.Start)
	case !finite(l.Top) || l.Top < l.Start:
		return fmt.Errorf("the top rate (%g/s) must be at least the starting rate (%g/s)", l.Top, l.Start)
	case l.Time < 0:
		return fmt.Errorf("the time limit must not be negative, not %s", l.Time)
	case l.Time > 0 && l.Step > l.Time:
		return fmt.Errorf("one step (%s) is longer than the time limit (%s)", l.Step, l.Time)
	case !finite(l.Factor) || (l.Factor != 0 && l.Factor <= 1):
		return fmt.Errorf("the rise factor must be above 1, not %g", l.Factor)
	case !finite(l.Precision) || l.Precision < 0 || l.Precision >= 1:
		return fmt.Errorf("the precision must be from 0 to 1, not %g", l.Precision)
	}
	return nil
}

// Trial is one step of a search: the rate asked for and whether the
// target sustained it within the objective.
type Trial struct {
	Rate float64
	Pass bool
}

// Result is what a search found.
type Result struct {
	// Max is the highest rate that passed; 0 when none did.
	Max float64
	// Fail is the lowest rate that failed; 0 when none did.
	Fail float64
	// Trials are the steps run, in order.
	Trials []Trial
	Stop   Stop
}

// StepFunc runs one step at rate (calls per second) and reports whether
// it passed. An error ends the search (StopError); so does ctx's
// cancellation, whatever the step returned (StopInterrupted).
type StepFunc func(ctx context.Context, rate float64) (pass bool, err error)

// Search finds the highest rate within limits that step passes: rates from
// Start multiplied by Factor (capped at Top) until a step fails, then the
// midpoint of the highest pass and lowest failure until they are within
// Precision. When Start fails, the search bisects down towards Floor.
// Rates of 10/s and more are whole numbers. now is the clock of the time
// limit (time.Now when nil). What was found is returned with any error.
func Search(ctx context.Context, limits Limits, now func() time.Time, step StepFunc) (Result, error) {
	if err := limits.Validate(); err != nil {
		return Result{Stop: StopError}, err
	}
	l := limits
	if l.Factor == 0 {
		l.Factor = DefaultFactor
	}
	if l.Precision == 0 {
		l.Precision = DefaultPrecision
	}
	if l.Floor <= 0 {
		l.Floor = DefaultFloor
	}
	if now == nil {
		now = time.Now
	}
	began := now()
	var res Result
	rate := l.Start
	for {
		if l.Time > 0 && now().Sub(began)+l.Step > l.Time {
			res.Stop = StopTimeLimit
			return res, nil
		}
		pass, err := step(ctx, rate)
		if ctx.Err() != nil {
			res.Stop = StopInterrupted
			return res, nil
		}
		if err != nil {
			res.Stop = StopError
			return res, err
		}
		res.Trials = append(res.Trials, Trial{Rate: rate, Pass: pass})
		if pass {
			res.Max = rate
		} else {
			res.Fail = rate
		}
		next, stop := l.next(res)
		if stop != "" {
			res.Stop = stop
			return res, nil
		}
		rate = next
	}
}

// next is the rate to try after res, or why to stop.
func (l Limits) next(res Result) (float64, Stop) {
	if res.Fail == 0 { // rising
		if res.Max >= l.Top {
			return 0, StopTopRate
		}
		return roundRate(math.Min(res.Max*l.Factor, l.Top)), ""
	}
	if res.Max == 0 && res.Fail <= l.Floor {
		return 0, StopNonePassed
	}
	if res.Fail-res.Max <= l.Precision*math.Max(res.Max, l.Floor) {
		return 0, StopConverged
	}
	mid := roundRate((res.Max + res.Fail) / 2)
	if res.Max == 0 {
		mid = roundRate(math.Max(res.Fail/2, l.Floor))
	}
	if mid <= res.Max || mid >= res.Fail {
		return 0, StopConverged // whole rates left nothing between
	}
	return mid, ""
}

// roundRate makes rates of 10/s and more whole numbers, for plain figures.
func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return r
}
