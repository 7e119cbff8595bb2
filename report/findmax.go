package report

import (
	"fmt"
	"strings"
	"time"
)

// FindMax is the breaking-point search of `run --find-max`: open-loop steps
// at rising rates, then bisection, each measured as a run of its own and
// held to the SLO. The report's other figures are of the step at MaxRate
// (of the last step when none passed).
type FindMax struct {
	// SLO is the objective each step was held to, in --assert syntax.
	SLO []string `json:"slo"`
	// MaxRate is the highest rate that passed, in calls per second; 0 when
	// no step passed.
	MaxRate float64 `json:"max_rate"`
	// FailRate is the lowest rate that failed; 0 when none did (the search
	// stopped at TopRate or its time limit first).
	FailRate float64 `json:"fail_rate,omitempty"`
	// Stop is why the search ended: converged, top_rate, time_limit,
	// none_passed, interrupted or error.
	Stop string `json:"stop"`
	// StartRate, TopRate and TimeLimit bound the search (--rps,
	// --find-max-limit); TimeLimit 0 means none.
	StartRate float64       `json:"start_rate"`
	TopRate   float64       `json:"top_rate"`
	TimeLimit time.Duration `json:"time_limit_ns,omitempty"`
	// Step is each step's measured time (-z) and Warmup its unmeasured
	// lead-in (--warmup).
	Step   time.Duration `json:"step_ns"`
	Warmup time.Duration `json:"warmup_ns"`
	// Steps are the steps run, in order.
	Steps []FindMaxStep `json:"steps"`
}

// FindMaxStep is one step of a breaking-point search.
type FindMaxStep struct {
	// Rate is the rate asked for; RPS what was achieved (Summary.RPS of the
	// step).
	Rate   float64 `json:"rate"`
	RPS    float64 `json:"rps"`
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	// P50 and P99 are of the step's latency (from when each call was due).
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	// SLO is each objective's figure at the step.
	SLO  []AssertionResult `json:"slo"`
	Pass bool              `json:"pass"`
	// Reason says why a step failed: the objectives it missed, or that the
	// target did not keep up with the rate; empty for a pass.
	Reason string `json:"reason,omitempty"`
}

// ShortfallLimit is the least fraction of its rate a step must achieve to
// pass: below it the target did not sustain the rate, whatever the SLO says.
const ShortfallLimit = 0.9

// StepVerdict says whether a step at rate with summary s and SLO results
// passes, and if not, why.
func StepVerdict(rate float64, s *Summary, slo []AssertionResult) (bool, string) {
	var missed []string
	for _, a := range slo {
		if !a.Pass {
			missed = append(missed, fmt.Sprintf("%s (measured %s)", a.Expr, a.Value))
		}
	}
	if s.RPS < ShortfallLimit*rate {
		missed = append(missed, fmt.Sprintf("achieved %s/s of %s/s", FormatRate(s.RPS), FormatRate(rate)))
	}
	if s.Stalled > 0 || s.OK == 0 {
		missed = append(missed, "no call succeeded or the step stalled")
	}
	return len(missed) == 0, strings.Join(missed, "; ")
}

// NewFindMaxStep is the step at rate measured as s.
func NewFindMaxStep(rate float64, s *Summary, slo []AssertionResult) FindMaxStep {
	pass, why := StepVerdict(rate, s, slo)
	st := FindMaxStep{Rate: rate, RPS: s.RPS, Count: s.Count, Errors: s.Errors, SLO: slo, Pass: pass, Reason: why}
	if s.Latency != nil {
		st.P50, st.P99 = s.Latency.P50, s.Latency.P99
	}
	return st
}

// Knee is the highest passing step and the lowest failing one above it (the
// lowest failing step of all, when none passed); nil for whichever there is
// none of.
func (f *FindMax) Knee() (pass, fail *FindMaxStep) {
	for i := range f.Steps {
		st := &f.Steps[i]
		if st.Pass && (pass == nil || st.Rate > pass.Rate) {
			pass = st
		}
	}
	for i := range f.Steps {
		st := &f.Steps[i]
		if !st.Pass && (pass == nil || st.Rate > pass.Rate) && (fail == nil || st.Rate < fail.Rate) {
			fail = st
		}
	}
	return pass, fail
}

// FindMaxStops says each Stop for people.
var FindMaxStops = map[string]string{
	"converged":   "the highest pass and the lowest failure are within 5% of each other",
	"top_rate":    "the top rate of --find-max-limit passed: the target may sustain more",
	"time_limit":  "the time of --find-max-limit ran out",
	"none_passed": "no step passed, down to 1 call/s",
	"interrupted": "interrupted; the step under way is not counted",
	"error":       "a step could not run",
}

// FindMaxVerdict is the search's result in one line, for people.
func FindMaxVerdict(f *FindMax) string {
	if f.MaxRate == 0 {
		return "no rate met the SLO (" + FindMaxStops[f.Stop] + ")"
	}
	v := fmt.Sprintf("%s calls/s met the SLO", FormatRate(f.MaxRate))
	if f.FailRate > 0 {
		v += fmt.Sprintf("; %s/s did not", FormatRate(f.FailRate))
	}
	if why := FindMaxStops[f.Stop]; why != "" && f.Stop != "converged" {
		v += " (" + why + ")"
	}
	return v
}

// FindMaxShape says how the search was run, for people.
func FindMaxShape(f *FindMax) string {
	s := fmt.Sprintf("%s of %s", Plural(len(f.Steps), "step"), FormatDuration(f.Step))
	if f.Warmup > 0 {
		s += fmt.Sprintf(" (after %s of warm-up)", FormatDuration(f.Warmup))
	}
	s += fmt.Sprintf(" from %s/s, top %s/s", FormatRate(f.StartRate), FormatRate(f.TopRate))
	if f.TimeLimit > 0 {
		s += ", at most " + FormatDuration(f.TimeLimit)
	}
	return s
}

// StepFigures is a step's SLO figures in one line: "p(99) 12ms · error_rate 0%".
func StepFigures(st FindMaxStep) string {
	parts := make([]string, 0, len(st.SLO))
	for _, a := range st.SLO {
		parts = append(parts, SLOMetric(a.Expr)+" "+a.Value)
	}
	if st.Rate > 0 && st.RPS < ShortfallLimit*st.Rate {
		parts = append(parts, "short of the rate")
	}
	return strings.Join(parts, " · ")
}

// SLOMetric is the metric an objective names: "p(99)" of "p(99)<40ms".
func SLOMetric(expr string) string {
	from := 0
	if l := strings.ToLower(expr); strings.HasPrefix(l, "status=") || strings.HasPrefix(l, "code=") {
		from = strings.IndexByte(expr, ' ') + 1 // the selector's own '='
	}
	if i := strings.IndexAny(expr[from:], "<>=!"); i > 0 {
		return strings.TrimSpace(expr[:from+i])
	}
	return expr
}
