package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/gate"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
)

// RunOptions are the inputs of `grpcpulse run`.
type RunOptions struct {
	IO   *IOStreams
	Dial DialFunc
	// Options are the run's target, metadata, load and call settings: the
	// flags bind straight into them, and they go to runner.New as they are.
	runner.Options
	// Source says where descriptors come from.
	Source SourceOptions
	Method string
	// Data is JSON request messages, @file, or @- for standard input.
	Data string
	// Format is text or json.
	Format string
	// Output is the report file; empty or "-" means standard output.
	Output string
	// Asserts are CI gates (k6 style: 'p(99)<250ms'); a failed one exits 3.
	Asserts []string
	// AbortOnFail also checks Asserts every second and stops the run at the
	// first failure that more calls could not undo.
	AbortOnFail bool
	// ScenarioFile is -f: a YAML or JSON file of flag values and calls.
	ScenarioFile string
	// Calls is the weighted method mix of the scenario file; empty: Method.
	Calls []CallSpec

	// assertions are Asserts parsed (by validate), kept for the run.
	assertions []gate.Assertion
}

// NewCmdRun builds `run`; runF replaces runRun in tests.
func NewCmdRun(f *Factory, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: f.IO, Dial: f.Dial}
	opts.Metadata.LookupEnv = f.LookupEnv
	cmd := &cobra.Command{
		Use:   "run [flags] ADDR METHOD | run -f SCENARIO [ADDR [METHOD]]",
		Short: "Load-test a method: every RPC kind, closed loop or at a rate; report in text or JSON",
		Long: `Run calls METHOD from -c workers over --connections HTTP/2 connections until -n calls,
-z time, or Ctrl-C, and reports latency percentiles (HdrHistogram), throughput, status
codes, errors and, for streams, per-message series.

Closed loop (default): each worker starts its next call when the last ends.
Open loop (--rps, --schedule): calls are due on a schedule and latency counts from
when a call was due, so a stalled server shows in the tail; calls that found no free
worker (--max-inflight) are counted as late starts.

Ctrl-C stops the run and still writes the report (exit 130); a second Ctrl-C exits at
once. A run in which no call succeeded exits 1, and so does a run that stalled: calls in
flight and nothing moving for --stall-timeout (the report is written first).`,
		Example: `  grpcpulse run --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Unary -d '{"message":"hi"}' -n 20000
  grpcpulse run --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Unary --rps 1000 -z 30s -o report.json --format json
  grpcpulse run --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Bidi --messages 10 -c 20 --connections 4 -z 10s
  grpcpulse run --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Unary --schedule ramp:100,2000,30s`,
		Args: argsBetween(0, 2, "ADDR", "METHOD"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := opts.resolveArgs(c.Flags(), args); err != nil {
				return err
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runRun(c.Context(), opts)
		},
	}
	fs := cmd.Flags()
	addConnFlags(fs, &opts.Target, &opts.Metadata, &opts.Source)
	opts.Load.AddFlags(fs)
	opts.Call.AddFlags(fs)
	fs.StringVarP(&opts.Data, "data", "d", "", "request `JSON`, @file, or @- for stdin (several objects are cycled; at most 64 MiB)")
	addOutputFlags(fs, &opts.Format, []string{"text", "json"}, &opts.Output)
	fs.StringArrayVar(&opts.Asserts, "assert", nil, "a CI gate, e.g. 'p(99)<250ms', 'error_rate<0.1%', 'rps>=1000', 'msg_rtt.p(99)<20ms' (repeatable; a failure exits 3)")
	fs.StringVarP(&opts.ScenarioFile, "file", "f", "", "a scenario `FILE` (YAML or JSON): flag values by long name, target, method, calls (flags given here win)")
	fs.BoolVar(&opts.AbortOnFail, "abort-on-fail", false, "check --assert every second and stop the run at the first failure")
	return cmd
}

// validate is the one check of the run's options, before anything is
// dialled: runner.New trusts what passed it (and checks only the method's
// kind).
func (o *RunOptions) validate() error {
	if err := validateConn(&o.Target, &o.Metadata, &o.Source); err != nil {
		return err
	}
	if err := o.checkMethods(); err != nil {
		return err
	}
	if err := o.Load.Validate(); err != nil {
		return &UsageError{Err: err}
	}
	if err := o.Call.Validate(); err != nil {
		return &UsageError{Err: err}
	}
	if o.Format != "text" && o.Format != "json" {
		return usageErrorf("--format must be text or json, not %q", o.Format)
	}
	if o.AbortOnFail && len(o.Asserts) == 0 {
		return usageErrorf("--abort-on-fail needs --assert")
	}
	as, err := gate.ParseAssertions(o.Asserts)
	if err != nil {
		return &UsageError{Err: err} // the syntax; the series are checked against the method
	}
	o.assertions = as
	if o.Load.Endless() && !(o.IO.InTTY && o.IO.OutTTY) {
		return usageErrorf("give -n, -z or a ramp --schedule: without one the run goes on until interrupted, and standard input or output is not a terminal (a CI job would hang)")
	}
	return nil
}

func runRun(ctx context.Context, opts *RunOptions) error {
	if len(opts.Calls) > 0 {
		return runMix(ctx, opts)
	}
	s, method, err := openSessionMethod(ctx, opts.Dial, opts.Target, opts.Metadata, opts.Source, false, opts.Method)
	if err != nil {
		return err
	}
	defer s.Close()
	kind := runner.KindOf(method)
	if err := gate.CheckKind(opts.assertions, kind); err != nil {
		return &UsageError{Err: fmt.Errorf("%s: %w", method.FullName(), err)}
	}
	data, err := readData(ctx, opts.Data, opts.IO.In)
	if err != nil {
		return err
	}
	reqs, err := runner.NewRequests(method.Input(), data, opts.Call.Template, reflect.TypeResolver(s.source))
	if err != nil {
		return err
	}
	r, err := runner.New(opts.Options, method, reqs) // checks the options against the method's kind
	if err != nil {
		return &UsageError{Err: fmt.Errorf("%s: %w", method.FullName(), err)}
	}
	r.Dial = opts.Dial
	meta := record.Meta{
		Method: strings.TrimPrefix(runner.FullMethod(method), "/"), Kind: kind,
		Options: r.Options(), Notes: opts.Target.Notes(), DataSize: reqs.Size(),
		DescriptorHash: reflect.DescriptorHash(method), Tool: Version(), GRPCVersion: grpc.Version,
	}
	load := r.Options().Load
	rec := record.New(kind, load.Workers())
	return execRun(ctx, opts, r, meta, rec)
}

// execRun makes the run r and reports it.
func execRun(ctx context.Context, opts *RunOptions, r *runner.Runner, meta record.Meta, rec *record.Recorder) error {
	load := r.Options().Load
	var live *progress
	if load.Endless() {
		fmt.Fprintln(opts.IO.ErrOut, "no -n or -z: running until Ctrl-C")
	}
	if opts.IO.ErrTTY {
		live = startProgress(opts.IO.ErrOut, opts.IO.ErrWidth, rec.Snapshot, r.InFlight, load)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var aborted *gate.Watcher
	if opts.AbortOnFail {
		soFar := func() *report.Summary { return rec.Summary(meta) }
		aborted = gate.Watch(runCtx, rec.Begun(), soFar, opts.assertions, load.Duration, stopRun)
	}
	out, err := r.Run(runCtx, rec)
	if aborted != nil {
		aborted.Stop()
	}
	if live != nil {
		live.Stop()
	}
	if err != nil {
		return err // nothing ran: the pool could not connect
	}
	interrupted := ctx.Err() != nil // Ctrl-C; an abort on a failed assertion is not an interrupt
	out.Interrupted = interrupted
	meta.Outcome = out
	sum := rec.Summary(meta)
	sum.Findings = diagnose.Findings(sum)
	sum.Assertions = gate.EvaluateAssertions(sum, opts.assertions)
	if err := writeOutput(opts.IO.Out, opts.Output, func(w io.Writer) error {
		if opts.Format == "json" {
			return report.WriteJSON(w, sum)
		}
		return report.RenderText(w, sum, textStyles(opts.IO, opts.Output), textWidth(opts.IO, opts.Output))
	}); err != nil {
		return err
	}
	if interrupted {
		return ctx.Err()
	}
	if out.Stalled > 0 {
		return fmt.Errorf("the run stalled: calls were in flight and nothing moved for %s (--stall-timeout); %d calls in flight were cut short",
			out.Stalled.Round(time.Millisecond), out.Aborted)
	}
	if err := outcomeError(sum); err != nil {
		return err
	}
	return gateError(sum, aborted)
}

// gateError fails a run whose assertions failed, naming each with what was
// measured.
func gateError(sum *report.Summary, aborted *gate.Watcher) error {
	var failed []string
	for _, a := range sum.Assertions {
		if !a.Pass {
			failed = append(failed, fmt.Sprintf("%s: measured %s", a.Expr, a.Value))
		}
	}
	if aborted != nil && aborted.Expr() != "" {
		failed = append(failed, fmt.Sprintf("(the run was stopped early at %s, when %s failed)", aborted.At(), aborted.Expr()))
	}
	if len(failed) == 0 {
		return nil
	}
	return &GateError{Failed: failed}
}

// outcomeError fails a run in which no call succeeded.
func outcomeError(sum *report.Summary) error {
	switch {
	case sum.Count == 0:
		return errors.New("no calls were made")
	case sum.OK == 0:
		msg := fmt.Sprintf("no call succeeded: all %d failed", sum.Count)
		if len(sum.ErrorsByMessage) > 0 {
			e := sum.ErrorsByMessage[0]
			msg += fmt.Sprintf("; the most common error: %s: %s", e.Code, e.Message)
		}
		return errors.New(msg)
	}
	return nil
}

// textStyles colours the report as --color and the environment say
// (IOStreams.colorOutput).
func textStyles(io *IOStreams, output string) report.Styles {
	if io.colorOutput(output) {
		return report.ColorStyles()
	}
	return report.PlainStyles()
}

func textWidth(io *IOStreams, output string) int {
	if io.Width > 0 && (output == "" || output == "-") {
		return min(io.Width, 120)
	}
	return 100
}
