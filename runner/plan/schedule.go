package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The kinds of schedule.
const (
	ScheduleStep = "step"
	ScheduleRamp = "ramp"
)

// Schedule is a changing target rate for open loop. The zero value is no
// schedule. It is set from a flag:
//
//	step:START,STEP,EVERY,MAX  START calls/s, STEP more every EVERY, up to MAX (then held)
//	ramp:FROM,TO,OVER          linear from FROM to TO calls/s over OVER (then held at TO)
type Schedule struct {
	Kind  string        `json:"kind,omitempty"` // "step" or "ramp"
	Start float64       `json:"start,omitempty"`
	Step  float64       `json:"step,omitempty"`
	Every time.Duration `json:"every_ns,omitempty"`
	Max   float64       `json:"max,omitempty"`
	From  float64       `json:"from,omitempty"`
	To    float64       `json:"to,omitempty"`
	Over  time.Duration `json:"over_ns,omitempty"`
}

// String is the flag form of the schedule.
func (s *Schedule) String() string {
	switch s.Kind {
	case ScheduleStep:
		return fmt.Sprintf("step:%g,%g,%s,%g", s.Start, s.Step, s.Every, s.Max)
	case ScheduleRamp:
		return fmt.Sprintf("ramp:%g,%g,%s", s.From, s.To, s.Over)
	}
	return ""
}

// maxScheduleSteps bounds the steps of a step schedule: the pacer walks
// them for every call (a STEP of 1e-300 would never reach MAX).
const maxScheduleSteps = 10_000

// Type names the flag's value in help.
func (s *Schedule) Type() string { return "schedule" }

// Set parses the flag form.
func (s *Schedule) Set(v string) error {
	kind, rest, _ := strings.Cut(v, ":")
	parts := strings.Split(rest, ",")
	rate := func(i int) (float64, error) {
		r, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64) // NaN and Inf are refused below
		if err != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) {
			return 0, fmt.Errorf("%q is not a rate (calls per second)", parts[i])
		}
		return r, nil
	}
	dur := func(i int) (time.Duration, error) {
		d, err := time.ParseDuration(strings.TrimSpace(parts[i]))
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%q is not a positive duration", parts[i])
		}
		return d, nil
	}
	var n Schedule
	var errs [4]error
	switch kind {
	case ScheduleStep:
		if len(parts) != 4 {
			return fmt.Errorf("want step:START,STEP,EVERY,MAX (e.g. step:100,50,10s,500), not %q", v)
		}
		n.Kind = kind
		n.Start, errs[0] = rate(0)
		n.Step, errs[1] = rate(1)
		n.Every, errs[2] = dur(2)
		n.Max, errs[3] = rate(3)
	case ScheduleRamp:
		if len(parts) != 3 {
			return fmt.Errorf("want ramp:FROM,TO,OVER (e.g. ramp:10,1000,30s), not %q", v)
		}
		n.Kind = kind
		n.From, errs[0] = rate(0)
		n.To, errs[1] = rate(1)
		n.Over, errs[2] = dur(2)
	default:
		return fmt.Errorf("unknown schedule %q: want step:START,STEP,EVERY,MAX or ramp:FROM,TO,OVER", v)
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	switch {
	case kind == ScheduleStep && n.Max < n.Start:
		return fmt.Errorf("step: MAX %g is below START %g", n.Max, n.Start)
	case kind == ScheduleStep && n.Start == 0 && n.Step == 0:
		return fmt.Errorf("step: the rate never rises above 0")
	case kind == ScheduleStep && n.Step > 0 && n.Max < math.Inf(1) && (n.Max+n.Step == n.Max || (n.Max-n.Start)/n.Step > maxScheduleSteps):
		return fmt.Errorf("step: from START %g to MAX %g by %g takes more than %d steps", n.Start, n.Max, n.Step, maxScheduleSteps)
	case kind == ScheduleRamp && n.From == 0 && n.To == 0:
		return fmt.Errorf("ramp: the rate is 0 throughout")
	}
	*s = n
	return nil
}

// MarshalText writes the flag form, so reports show what the user typed.
func (s Schedule) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the flag form back (empty: no schedule).
func (s *Schedule) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = Schedule{}
		return nil
	}
	return s.Set(string(b))
}

// ConstantPacer is the pacer of a constant rate, in calls per second.
type ConstantPacer float64

func (r ConstantPacer) Due(i int64) (time.Duration, bool) {
	return seconds(float64(i) / float64(r)), r > 0
}

// seconds converts to a Duration, saturating at the largest one (a rate of
// 1e-12 calls per second is due in 1e12 seconds, past what a Duration holds).
func seconds(s float64) time.Duration {
	if s >= float64(math.MaxInt64)/float64(time.Second) || math.IsNaN(s) {
		return math.MaxInt64
	}
	if s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

type stepPacer Schedule

// due walks the steps: in step k (rate r_k for EVERY), the calls due are
// those numbered up to the running count plus r_k*EVERY.
func (s stepPacer) Due(i int64) (time.Duration, bool) {
	var t, done float64 // seconds elapsed, calls due before t
	every := s.Every.Seconds()
	for rate := s.Start; ; rate = math.Min(rate+s.Step, s.Max) {
		if rate >= s.Max || s.Step == 0 {
			if rate <= 0 {
				return 0, false
			}
			return seconds(t + (float64(i)-done)/rate), true
		}
		if n := rate * every; float64(i) < done+n {
			return seconds(t + (float64(i)-done)/rate), true
		} else {
			done += n
		}
		t += every
	}
}

type rampPacer Schedule

// due solves N(t) = i for the calls due by t under a rate rising linearly
// from From to To over Over: N(t) = From*t + a*t*t/2 with a the slope.
// After Over the rate stays at To.
func (s rampPacer) Due(i int64) (time.Duration, bool) {
	over := s.Over.Seconds()
	a := (s.To - s.From) / over
	n := float64(i)
	atOver := s.From*over + a*over*over/2
	if n >= atOver {
		if s.To <= 0 {
			return 0, false
		}
		return seconds(over + (n-atOver)/s.To), true
	}
	if a == 0 {
		return seconds(n / s.From), true
	}
	// a/2 t^2 + From t - n = 0, the root in [0, over], as 2n / (From +
	// sqrt(From^2 + 2an)), with sqrt(2|a|n) taken apart so that no product
	// overflows (2an is Inf, and Inf*0 NaN, for a rate near MaxFloat64).
	if n == 0 || math.IsInf(a, 0) {
		return 0, true // the first call, or a slope past float64: due at once
	}
	if disc := s.From*s.From + 2*a*n; !math.IsInf(disc, 0) && !math.IsNaN(disc) {
		return seconds((-s.From + math.Sqrt(math.Max(disc, 0))) / a), true
	}
	r := math.Sqrt2 * math.Sqrt(math.Abs(a)) * math.Sqrt(n)
	m := max(s.From, r)
	if math.IsInf(r, 0) {
		return 0, true // a slope past float64: the ramp is over at once
	}
	if m == 0 {
		return 0, true
	}
	f, q := s.From/m, r/m
	disc := f*f + q*q
	if a < 0 {
		disc = f*f - q*q
	}
	d := m * math.Sqrt(math.Max(disc, 0))
	return seconds(n / (s.From/2 + d/2)), true
}
