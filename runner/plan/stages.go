package plan

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Stage is one stage of a staged load: over Duration the target (a rate in
// calls per second, or a number of workers) moves linearly from where the
// stage before left it to Target.
type Stage struct {
	Duration time.Duration `json:"duration_ns"`
	Target   float64       `json:"target"`
}

// Stages is a load shape in stages, k6's ramping arrival rate (--stages) or
// ramping VUs (--concurrency-stages). It is set from a flag:
//
//	DUR:TARGET[,DUR:TARGET...]   e.g. 1s:100,2s:100,1s:0
//
// The zero value is no stages.
type Stages []Stage

// String is the flag form of the stages.
func (s *Stages) String() string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(*s))
	for i, st := range *s {
		parts[i] = st.Duration.String() + ":" + strconv.FormatFloat(st.Target, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Type names the flag's value in help.
func (s *Stages) Type() string { return "stages" }

// Set parses the flag form. Each stage's duration must be positive or zero
// (a zero stage jumps to its target) and its target a finite number not
// below zero; the stages together must last longer than zero.
func (s *Stages) Set(v string) error {
	var out Stages
	var total time.Duration
	for _, part := range strings.Split(v, ",") {
		dur, target, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return fmt.Errorf("stage %q: want DUR:TARGET, e.g. 30s:100 (the list is DUR:TARGET,DUR:TARGET,...)", part)
		}
		d, err := time.ParseDuration(strings.TrimSpace(dur))
		if err != nil || d < 0 {
			return fmt.Errorf("stage %q: %q is not a duration (e.g. 30s, 1m30s)", part, dur)
		}
		t, err := strconv.ParseFloat(strings.TrimSpace(target), 64)
		if err != nil || t < 0 || math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("stage %q: %q is not a target (a number, 0 or more)", part, target)
		}
		if total > math.MaxInt64-d {
			return fmt.Errorf("stages: the stages last longer than %s", time.Duration(math.MaxInt64))
		}
		total += d
		out = append(out, Stage{Duration: d, Target: t})
	}
	if total == 0 {
		return fmt.Errorf("stages %q last no time: give at least one stage a duration", v)
	}
	*s = out
	return nil
}

// Total is how long the stages last together.
func (s Stages) Total() time.Duration {
	var d time.Duration
	for _, st := range s {
		d += st.Duration
	}
	return d
}

// Max is the highest target of the stages (or start, if higher).
func (s Stages) Max(start float64) float64 {
	m := start
	for _, st := range s {
		m = math.Max(m, st.Target)
	}
	return m
}

// At is the target at t after the start of the stages, starting from start;
// after the last stage it stays at the last target.
func (s Stages) At(start float64, t time.Duration) float64 {
	from := start
	for _, st := range s {
		if t < st.Duration {
			return from + (st.Target-from)*t.Seconds()/st.Duration.Seconds()
		}
		t -= st.Duration
		from = st.Target
	}
	return from
}

// Above returns the first time at or after t (from the start of the
// stages) when the target is above level, and false when it never is again
// before the stages end.
func (s Stages) Above(start, level float64, t time.Duration) (time.Duration, bool) {
	var at time.Duration // when the stage begins
	from := start
	for _, st := range s {
		end := at + st.Duration
		if t < end && st.Duration > 0 {
			x := max(t, at)
			if from+(st.Target-from)*float64(x-at)/float64(st.Duration) > level {
				return x, true
			}
			if st.Target > level { // rising through level later in the stage
				cross := at + time.Duration(float64(st.Duration)*(level-from)/(st.Target-from)) + 1
				return max(x, min(cross, end)), true
			}
		}
		at, from = end, st.Target
	}
	return 0, false
}

// stagesPacer paces calls along rate stages: within a stage the rate moves
// linearly, so the count of calls due by t is quadratic in t, and call i is
// found by a binary search over the stages and the root of that quadratic.
type stagesPacer struct {
	start  float64 // the rate the stages start from (--rps)
	stages Stages
	segs   []rateSegment
}

// rateSegment is one stage of a stagesPacer: starting at `at` with `done`
// calls due before it, the rate moves from `from` to `to` over `dur`
// seconds, and `n` calls fall within it (a real number).
type rateSegment struct {
	at              float64 // seconds
	done, n         float64
	from, to, slope float64
	dur             float64
}

func newStagesPacer(start float64, stages Stages) *stagesPacer {
	p := &stagesPacer{start: start, stages: stages}
	var at, done float64
	from := start
	for _, st := range stages {
		d := st.Duration.Seconds()
		if d > 0 {
			n := (from + st.Target) / 2 * d
			p.segs = append(p.segs, rateSegment{at: at, done: done, n: n, from: from, to: st.Target, slope: (st.Target - from) / d, dur: d})
			at += d
			done += n
		}
		from = st.Target
	}
	return p
}

// calls is the number of calls the stages hold: the integral of the rate.
// Calls 0 to ceil(calls)-1 are due within them.
func (p *stagesPacer) calls() float64 {
	if len(p.segs) == 0 {
		return 0
	}
	last := p.segs[len(p.segs)-1]
	return last.done + last.n
}

func (p *stagesPacer) Due(i int64) (time.Duration, bool) {
	n := float64(i)
	if n >= p.calls() {
		return 0, false
	}
	k := sort.Search(len(p.segs), func(k int) bool { return p.segs[k].done+p.segs[k].n > n })
	if k == len(p.segs) {
		return 0, false
	}
	s := &p.segs[k]
	m := n - s.done // calls into the stage: solve from·x + slope/2·x² = m
	if m <= 0 {
		return seconds(s.at), true
	}
	disc := math.Max(s.from*s.from+2*s.slope*m, 0)
	x := 2 * m / (s.from + math.Sqrt(disc)) // the stable root, for rising and falling rates
	if math.IsNaN(x) || x > s.dur {
		x = s.dur
	}
	return seconds(s.at + x), true
}

// check reports a stage set wrongly: the flag's rules, for stages that did
// not come from the flag (a report, a test).
func (s Stages) check() error {
	for _, st := range s {
		if st.Duration < 0 || st.Target < 0 || math.IsNaN(st.Target) || math.IsInf(st.Target, 0) {
			return fmt.Errorf("stage %s:%g: durations and targets must not be negative", st.Duration, st.Target)
		}
	}
	if s.Total() <= 0 {
		return fmt.Errorf("the stages last no time")
	}
	return nil
}

// WidestAtBounds is the widest spacing between consecutive calls of a to
// b-1 around the stage boundaries that fall among them.
func (p *stagesPacer) WidestAtBounds(a, b int64) time.Duration {
	var w time.Duration
	for _, s := range p.segs {
		j := int64(math.Ceil(s.done)) // the first call of the stage
		for _, k := range []int64{j - 1, j, j + 1} {
			if k > a && k < b {
				d1, _ := p.Due(k)
				d0, _ := p.Due(k - 1)
				w = max(w, d1-d0)
			}
		}
	}
	return w
}
