package run

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/gate"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/findmax"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// The defaults of a breaking-point search, for the flags it leaves unset.
const (
	defaultStartRate  = 100
	defaultTopRate    = 50_000
	defaultFindMaxFor = 5 * time.Minute
	defaultStep       = 5 * time.Second
	defaultStepWarmup = time.Second
)

// FindMaxOptions are the flags of a breaking-point search (--find-max).
type FindMaxOptions struct {
	// SLO is --find-max: objectives in --assert syntax, comma-separated;
	// empty means no search.
	SLO string
	// Limit is --find-max-limit: the most time the search may take and the
	// highest rate it tries.
	Limit FindMaxLimit

	slo []gate.Assertion // SLO parsed (by applyFindMax)
}

// FindMaxLimit is --find-max-limit DURATION,RATE: either may be left out
// ("10m", "20000", "10m,20000").
type FindMaxLimit struct {
	Time time.Duration
	Rate float64
}

func (l *FindMaxLimit) String() string {
	return report.FormatDuration(l.Time) + "," + strconv.FormatFloat(l.Rate, 'f', -1, 64)
}

// Set reads DURATION,RATE in either order: a part with a unit is the time,
// a plain number the rate.
func (l *FindMaxLimit) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "/s"))
		if part == "" {
			return fmt.Errorf("want DURATION,RATE (e.g. 5m,20000), not %q", v)
		}
		if r, err := strconv.ParseFloat(part, 64); err == nil {
			if !(r > 0) || math.IsInf(r, 0) {
				return fmt.Errorf("the top rate must be a number above 0, not %s", part)
			}
			l.Rate = r
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is neither a duration above 0 (5m) nor a rate (20000)", part)
		}
		l.Time = d
	}
	return nil
}

func (l *FindMaxLimit) Type() string { return "DURATION,RATE" }

// AddFlags binds --find-max and --find-max-limit.
func (o *FindMaxOptions) AddFlags(fs *pflag.FlagSet) {
	o.Limit = FindMaxLimit{Time: defaultFindMaxFor, Rate: defaultTopRate}
	fs.StringVar(&o.SLO, "find-max", "", "search the highest rate that meets this `SLO` ('p(99)<40ms,error_rate<1%'): open-loop steps of -z (default 5s) after --warmup (default 1s), from --rps (default 100) doubling until one fails, then bisecting")
	fs.Var(&o.Limit, "find-max-limit", "bound --find-max: the most time it takes and the highest rate it tries")
}

// applyFindMax parses --find-max and gives the load its defaults for a
// search: steps of -z after --warmup from --rps. It refuses what a search
// cannot be combined with.
func (o *RunOptions) applyFindMax(fs *pflag.FlagSet) error {
	f := &o.FindMax
	if f.SLO == "" {
		if fs.Changed("find-max-limit") {
			return cli.UsageErrorf("--find-max-limit needs --find-max")
		}
		return nil
	}
	var exprs []string
	for _, e := range strings.Split(f.SLO, ",") {
		if e = strings.TrimSpace(e); e != "" {
			exprs = append(exprs, e)
		}
	}
	if len(exprs) == 0 {
		return cli.UsageErrorf("--find-max needs an SLO, e.g. 'p(99)<40ms,error_rate<1%%'")
	}
	slo, err := gate.ParseAssertions(exprs)
	if err != nil {
		return &cli.UsageError{Err: fmt.Errorf("--find-max: %w", err)}
	}
	for _, a := range slo {
		if a.Metric() == "max_rate" {
			return cli.UsageErrorf("--find-max: %s: max_rate is what the search finds; gate on it with --assert", a.Expr)
		}
	}
	f.slo = slo
	for _, name := range []string{"schedule", "stages", "concurrency-stages", "total", "abort-on-fail", "start-at"} {
		if fs.Changed(name) {
			shown := "--" + name
			if f := fs.Lookup(name); f.Shorthand != "" {
				shown = "-" + f.Shorthand
			}
			return cli.UsageErrorf("--find-max sets the rate and length of each step itself: it cannot be combined with %s", shown)
		}
	}
	if len(o.Calls) > 0 {
		return cli.UsageErrorf("--find-max runs one method, not a scenario's calls")
	}
	l := &o.Load
	if !fs.Changed("duration") {
		l.Duration = defaultStep
	}
	if !fs.Changed("warmup") {
		l.Warmup = defaultStepWarmup
	}
	if !fs.Changed("rps") {
		l.RPS = defaultStartRate
	}
	if l.Duration <= 0 {
		return cli.UsageErrorf("--find-max needs steps of some length: -z above 0")
	}
	if err := f.limits(l).Validate(); err != nil {
		return cli.UsageErrorf("--find-max: %v", err)
	}
	return nil
}

// checkFindMaxAsserts refuses a max_rate gate without a search to measure it.
func (o *RunOptions) checkFindMaxAsserts() error {
	if o.FindMax.SLO != "" {
		return nil
	}
	for _, a := range o.assertions {
		if a.Metric() == "max_rate" {
			return cli.UsageErrorf("--assert %s: max_rate is measured by --find-max", a.Expr)
		}
	}
	return nil
}

// limits are the search's bounds for load l (its --rps the start).
func (f *FindMaxOptions) limits(l *plan.Load) findmax.Limits {
	return findmax.Limits{Start: l.RPS, Top: f.Limit.Rate, Time: f.Limit.Time, Step: l.Warmup + l.Duration}
}

// runFindMax searches the highest rate that meets the SLO, each step a
// normal open-loop run of its own (dialled anew, warmed up, measured from
// each call's intended start), and reports the step at that rate with the
// search beside it. Ctrl-C ends the search with what it found so far.
func runFindMax(ctx context.Context, opts *RunOptions) error {
	s, method, err := cli.OpenSessionMethod(ctx, opts.Dial, opts.Target, opts.Metadata, opts.Source, false, opts.Method)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := gate.CheckKind(opts.FindMax.slo, runner.KindOf(method)); err != nil {
		return &cli.UsageError{Err: fmt.Errorf("--find-max: %s: %w", method.FullName(), err)}
	}
	reqs, err := prepareRequests(ctx, opts, s, method)
	if err != nil {
		return err
	}
	f := &opts.FindMax
	limits := f.limits(&opts.Load)
	fm := &report.FindMax{StartRate: limits.Start, TopRate: limits.Top, TimeLimit: limits.Time,
		Step: opts.Load.Duration, Warmup: opts.Load.Warmup, Steps: []report.FindMaxStep{}}
	for _, a := range f.slo {
		fm.SLO = append(fm.SLO, a.Expr)
	}
	var best, last *report.Summary
	step := func(ctx context.Context, rate float64) (bool, error) {
		opts.Load.RPS = rate
		r, meta, err := buildRunner(opts, method, reqs)
		if err != nil {
			return false, err
		}
		load := r.Options().Load
		rec := record.New(meta.Kind, load.Workers())
		out, err := r.Run(ctx, rec)
		if err != nil || ctx.Err() != nil {
			return false, err
		}
		meta.Outcome = out
		sum := rec.Summary(meta)
		st := report.NewFindMaxStep(rate, sum, gate.EvaluateAssertions(sum, f.slo))
		fm.Steps = append(fm.Steps, st)
		last = sum
		if st.Pass && (best == nil || rate > best.Options.Load.RPS) {
			best = sum
		}
		fmt.Fprintf(opts.IO.ErrOut, "find-max: step %d at %s/s: %s\n", len(fm.Steps), report.FormatRate(rate), stepLine(st))
		return st.Pass, nil
	}
	res, stepErr := findmax.Search(ctx, limits, opts.clock(), step)
	fm.MaxRate, fm.FailRate, fm.Stop = res.Max, res.Fail, string(res.Stop)
	sum := best
	if sum == nil {
		sum = last
	}
	switch {
	case sum == nil && stepErr != nil:
		return stepErr // the first step could not run (the pool could not connect)
	case sum == nil:
		fmt.Fprintln(opts.IO.ErrOut, "interrupted before the first step ended: no report")
		return ctx.Err()
	}
	sum.FindMax = fm
	fmt.Fprintf(opts.IO.ErrOut, "find-max: %s\n", report.FindMaxVerdict(fm))
	err = reportRun(ctx, opts, sum, runner.Outcome{Interrupted: ctx.Err() != nil})
	if stepErr != nil {
		return fmt.Errorf("find-max: a step could not run (the report holds the steps before it): %w", stepErr)
	}
	return err
}

// stepLine is a step's verdict and figures for the progress lines.
func stepLine(st report.FindMaxStep) string {
	verdict := "pass"
	if !st.Pass {
		verdict = "FAIL (" + st.Reason + ")"
	}
	return fmt.Sprintf("%s; achieved %s/s, p99 %s; %s", verdict, report.FormatRate(st.RPS), report.FormatDuration(st.P99), report.StepFigures(st))
}
