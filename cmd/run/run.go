// Package run is `grpcpulse run`: flags and scenario files into
// plan.Options, the load test, its progress line, metrics and report.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/gate"
	"github.com/grpcpulse/grpcpulse/report/metrics"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// RunOptions are the inputs of `grpcpulse run`.
type RunOptions struct {
	IO   *cli.IOStreams
	Dial cli.DialFunc
	// Options are the run's target, metadata, load and call settings: the
	// flags bind straight into them, and they go to runner.New as they are.
	plan.Options
	// Source says where descriptors come from.
	Source cli.SourceOptions
	Method string
	// Data is JSON request messages, @file, or @- for standard input.
	Data string
	// Output is --format and -o: the renderings of the report and where
	// they go. The text summary goes to standard output as well when every
	// rendering goes to a file.
	Output cli.OutputFlags
	// Asserts are CI gates (k6 style: 'p(99)<250ms'); a failed one exits 3.
	Asserts []string
	// AbortOnFail also checks Asserts every second and stops the run at the
	// first failure that more calls could not undo.
	AbortOnFail bool
	// ScenarioFile is -f: a YAML or JSON file of flag values and calls.
	ScenarioFile string
	// Calls is the weighted method mix of the scenario file; empty: Method.
	Calls []CallSpec
	// FindMax is --find-max: a breaking-point search instead of one run.
	FindMax FindMaxOptions

	// MetricsAddr is where to serve Prometheus metrics during the run
	// (HOST:PORT, port 0 for any); empty means not at all.
	MetricsAddr string
	// MetricsLinger is how long /metrics goes on serving the final figures
	// after the report is written, for a last scrape; an interrupt ends it.
	MetricsLinger time.Duration
	// CPUs is --cpus: how many processors the run's goroutines may use at
	// once (GOMAXPROCS for the run); 0 leaves the default, all of them.
	CPUs int
	// StartAt is the wall-clock time the load starts at (--start-at): the
	// pool connects first, then waits. Zero means at once.
	StartAt time.Time
	// Now is the clock --start-at is checked against (time.Now when nil).
	Now func() time.Time

	// Name and Tags (KEY=VALUE) label the report: echoed in every
	// rendering and kept through report merge and compare.
	Name string
	Tags []string

	// tags are Tags parsed (by validate).
	tags map[string]string
	// assertions are Asserts parsed (by validate), kept for the run.
	assertions []gate.Assertion
	// targets are Output resolved (by validate).
	targets []cli.OutputTarget
}

// NewCmdRun builds `run`; runF replaces Run in tests.
func NewCmdRun(f *cli.Factory, runF func(*RunOptions) error) *cobra.Command {
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
  grpcpulse run --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Unary --rps 1000 -z 30s -o report.json -o report.html
  grpcpulse run --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Unary -z 10m --name soak --tag env=staging --metrics-addr 127.0.0.1:9464
  grpcpulse run --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Bidi --messages 10 -c 20 --connections 4 -z 10s
  grpcpulse run --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Unary --schedule ramp:100,2000,30s`,
		Args: cli.ArgsBetween(0, 2, "ADDR", "METHOD"),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) != 1 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			opts.Target.Addr = args[0]
			return cli.CompleteNames(c.Context(), opts.Dial, opts.Target, opts.Metadata, opts.Source, true, toComplete),
				cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := opts.resolveArgs(c.Context(), c.Flags(), args); err != nil {
				return err
			}
			if err := opts.validate(c.Context(), c.Flags()); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.CPUs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(opts.CPUs))
			}
			return Run(c.Context(), opts)
		},
	}
	fs := cmd.Flags()
	cli.AddConnFlags(fs, &opts.Target, &opts.Metadata, &opts.Source)
	fs.StringVar(&opts.Target.Engine, "engine", plan.EngineGRPC, "the client that makes the calls: grpc (grpc-go) or h2 (a lean HTTP/2 engine: less CPU per call; refuses retry, service config, wait-for-ready and several targets)")
	cli.AddLoadFlags(fs, &opts.Load)
	cli.AddCallFlags(fs, &opts.Call)
	fs.StringVarP(&opts.Data, "data", "d", "", "request `JSON`, @file, or @- for stdin (several objects are cycled; at most 64 MiB)")
	cli.AddOutputFlags(fs, &opts.Output, cli.ShowFormats)
	fs.StringArrayVar(&opts.Asserts, "assert", nil, "a CI gate, e.g. 'p(99)<250ms', 'error_rate<0.1%', 'rps>=1000', 'msg_rtt.p(99)<20ms' (repeatable; a failure exits 3)")
	fs.StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics of the run at http://`HOST:PORT`/metrics (port 0: any free port; a bare :PORT listens on every interface)")
	fs.DurationVar(&opts.MetricsLinger, "metrics-linger", 5*time.Second, "with --metrics-addr: keep serving the final figures this long after the report is written, for a last scrape (Ctrl-C ends it)")
	fs.Var(timeValue{&opts.StartAt}, "start-at", "start the load at this RFC 3339 `time` (connect first, then wait): distributed runs start together")
	fs.IntVar(&opts.CPUs, "cpus", 0, fmt.Sprintf("how many processors the client uses at once (GOMAXPROCS; default all, %d here): with the server on the same machine, fewer leave it more", runtime.NumCPU()))
	fs.StringVar(&opts.Name, "name", "", "a `name` for the run, shown in the report's title")
	fs.StringArrayVar(&opts.Tags, "tag", nil, "a `KEY=VALUE` label echoed in the report (repeatable)")
	fs.StringVarP(&opts.ScenarioFile, "file", "f", "", "a scenario `FILE` (YAML or JSON): flag values by long name, target, method, calls (flags given here win)")
	fs.BoolVar(&opts.AbortOnFail, "abort-on-fail", false, "check --assert every second and stop the run at the first failure")
	opts.FindMax.AddFlags(fs)
	return cmd
}

// validate is the one check of the run's options, before anything is
// dialled: runner.New trusts what passed it (and checks only the method's
// kind).
func (o *RunOptions) validate(ctx context.Context, fs *pflag.FlagSet) error {
	if err := o.applyFindMax(fs); err != nil {
		return err
	}
	if err := cli.ValidateConn(ctx, &o.Target, &o.Metadata, &o.Source); err != nil {
		return err
	}
	if err := cli.CheckRetryFlags(fs, &o.Target); err != nil {
		return err
	}
	if err := o.checkMethods(); err != nil {
		return err
	}
	if err := o.Load.Validate(); err != nil {
		return &cli.UsageError{Err: err}
	}
	if fs.Changed("total") && o.Load.Total == 0 {
		// Refused, not taken as "no limit": on a terminal it would run until
		// Ctrl-C and in a pipe be refused for lacking -n, two answers to one input.
		return cli.UsageErrorf("-n 0 makes no calls: give -n 1 or more, -z DURATION to run for a time, or leave -n out to run until Ctrl-C")
	}
	if err := o.Call.Validate(); err != nil {
		return &cli.UsageError{Err: err}
	}
	if err := checkCPUs(o.CPUs, runtime.NumCPU()); err != nil {
		return err
	}
	if o.MetricsLinger < 0 {
		return cli.UsageErrorf("--metrics-linger must not be negative")
	}
	if err := checkStartAt(o.StartAt, o.clock()()); err != nil {
		return err
	}
	if err := checkMetricsAddr(o.MetricsAddr); err != nil {
		return err
	}
	tags, err := parseTags(o.Tags)
	if err != nil {
		return err
	}
	o.tags = tags
	targets, err := o.Output.Plan(fs)
	if err != nil {
		return err
	}
	if !cli.ToStdout(targets) {
		targets = append(targets, cli.OutputTarget{Format: "text"})
	}
	o.targets = targets
	if o.AbortOnFail && len(o.Asserts) == 0 {
		return cli.UsageErrorf("--abort-on-fail needs --assert")
	}
	as, err := gate.ParseAssertions(o.Asserts)
	if err != nil {
		return &cli.UsageError{Err: err} // the syntax; the series are checked against the method
	}
	o.assertions = as
	if err := o.checkFindMaxAsserts(); err != nil {
		return err
	}
	if o.Load.Endless() && !(o.IO.InTTY && o.IO.OutTTY) {
		return cli.UsageErrorf("give -n, -z or a ramp --schedule: without one the run goes on until interrupted, and standard input or output is not a terminal (a CI job would hang)")
	}
	return nil
}

// checkCPUs refuses a --cpus outside 1 to the machine's processors (0 is
// unset).
func checkCPUs(n, machine int) error {
	if n < 0 || n > machine {
		return cli.UsageErrorf("--cpus %d: give 1 to %d, the processors of this machine (or leave it out to use all)", n, machine)
	}
	return nil
}

// Run runs the load test opts describe and writes its report; the returned
// error decides the exit code (cli.ExitCode).
func Run(ctx context.Context, opts *RunOptions) error {
	if opts.FindMax.SLO != "" {
		return runFindMax(ctx, opts)
	}
	if len(opts.Calls) > 0 {
		return runMix(ctx, opts)
	}
	s, r, meta, err := prepareRun(ctx, opts)
	if err != nil {
		return reportNotStarted(ctx, opts, err)
	}
	defer s.Close()
	load := r.Options().Load
	return execRun(ctx, opts, r, meta, record.New(meta.Kind, load.Workers()))
}

// execRun makes the run r, recording into rec, and reports it.
func execRun(ctx context.Context, opts *RunOptions, r *runner.Runner, meta record.Meta, rec *record.Recorder) error {
	load := r.Options().Load
	var live *progress
	if load.Endless() {
		fmt.Fprintln(opts.IO.ErrOut, "no -n or -z: running until Ctrl-C")
	}
	if opts.IO.ErrTTY {
		live = startProgress(opts.IO.ErrOut, opts.IO.ErrWidth, rec.Snapshot, r.InFlight, load)
	}
	if opts.MetricsAddr != "" {
		scraped := meta // a copy: meta gains the outcome while scrapes may still read
		method := meta.Method
		if len(meta.Mix) > 0 {
			method = "" // a mix's figures are labelled by each method
		}
		m, err := serveMetrics(opts.MetricsAddr, &metrics.Collector{Method: method, InFlight: r.InFlight,
			Summary: soFar(rec.Begun(), func() *report.Summary { return rec.Summary(scraped) })}, opts.IO.ErrOut)
		if err != nil {
			return err
		}
		defer m.Close(ctx, opts.MetricsLinger, opts.IO.ErrOut) // after the report is written
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
	var failed *runner.Failure // the run stopped itself, after recording what ran
	if err != nil && !errors.As(err, &failed) {
		if ctx.Err() != nil {
			fmt.Fprintln(opts.IO.ErrOut, "interrupted before the load started: no report")
			return err // the root says what it waited for (a FIFO --cacert)
		}
		return reportNotStarted(ctx, opts, err) // nothing ran: the pool could not connect
	}
	out.Interrupted = ctx.Err() != nil // Ctrl-C; an abort on a failed assertion is not an interrupt
	meta.Outcome = out
	sum := rec.Summary(meta)
	if aborted != nil && aborted.Expr() != "" {
		sum.StoppedBy = &report.Stop{Assertion: aborted.Expr(), At: aborted.At()}
	}
	if failed != nil {
		sum.Failure = failed.Error()
	}
	return reportRun(ctx, opts, sum, out)
}

// prepareRun resolves the method and its request data and builds the
// runner (with --start-at's wait in its dial) and the recording's Meta. The
// caller closes the Session.
func prepareRun(ctx context.Context, opts *RunOptions) (*cli.Session, *runner.Runner, record.Meta, error) {
	s, method, err := cli.OpenSessionMethod(ctx, opts.Dial, opts.Target, opts.Metadata, opts.Source, false, opts.Method)
	if err != nil {
		return nil, nil, record.Meta{}, err
	}
	r, meta, err := newRunner(ctx, opts, s, method)
	if err != nil {
		s.Close()
		return nil, nil, record.Meta{}, err
	}
	return s, r, meta, nil
}

func newRunner(ctx context.Context, opts *RunOptions, s *cli.Session, method protoreflect.MethodDescriptor) (*runner.Runner, record.Meta, error) {
	reqs, err := prepareRequests(ctx, opts, s, method)
	if err != nil {
		return nil, record.Meta{}, err
	}
	return buildRunner(opts, method, reqs)
}

// prepareRequests checks the assertions against the method's kind and
// reads and compiles the request data (once: standard input cannot be read
// twice).
func prepareRequests(ctx context.Context, opts *RunOptions, s *cli.Session, method protoreflect.MethodDescriptor) (*data.Requests, error) {
	kind := runner.KindOf(method)
	if err := gate.CheckKind(opts.assertions, kind); err != nil {
		return nil, &cli.UsageError{Err: fmt.Errorf("%s: %w", method.FullName(), err)}
	}
	raw, err := cli.ReadData(ctx, opts.Data, opts.IO.In)
	if err != nil {
		return nil, err
	}
	reqs, err := data.NewRequests(method.Input(), raw, runner.Templating(opts.Call), reflect.TypeResolver(s.Source))
	if errors.Is(err, data.ErrTemplateEnv) {
		return nil, &cli.UsageError{Err: err}
	}
	return reqs, err
}

// buildRunner makes the runner of opts for method and reqs, and the
// recording's Meta.
func buildRunner(opts *RunOptions, method protoreflect.MethodDescriptor, reqs *data.Requests) (*runner.Runner, record.Meta, error) {
	kind := runner.KindOf(method)
	r, err := runner.New(opts.Options, method, reqs) // checks the options against the method's kind
	if err != nil {
		return nil, record.Meta{}, &cli.UsageError{Err: fmt.Errorf("%s: %w", method.FullName(), err)}
	}
	opts.setDial(r)
	meta := record.Meta{
		Method: strings.TrimPrefix(runner.FullMethod(method), "/"), Kind: kind,
		Options: r.Options(), Notes: opts.Target.Notes(), DataSize: reqs.Size(),
		DescriptorHash: reflect.DescriptorHash(method), Tool: cli.Version(), GRPCVersion: grpc.Version, CPUs: runtime.GOMAXPROCS(0),
	}
	return r, meta, nil
}

// setDial gives r the dial function, the Factory's, and the wait for
// --start-at once the pool is connected.
func (o *RunOptions) setDial(r *runner.Runner) {
	r.Dial = o.Dial
	if !o.StartAt.IsZero() {
		r.Connected = waitUntil(o.StartAt, o.clock(), o.IO.ErrOut)
	}
}

// reportRun labels, diagnoses and gates the run's Summary, writes each
// rendering, and says how the run ended.
func reportRun(ctx context.Context, opts *RunOptions, sum *report.Summary, out runner.Outcome) error {
	sum.Name, sum.Tags = opts.Name, opts.tags
	diagnose.Diagnose(sum)
	sum.Assertions = gate.EvaluateAssertions(sum, opts.assertions)
	targets := opts.targets
	if len(targets) == 0 { // not validated: a caller inside the package (demo)
		targets = []cli.OutputTarget{{Format: "text"}}
	}
	if err := cli.WriteOutputs(opts.IO.Out, targets, func(w io.Writer, t cli.OutputTarget) error {
		return cli.RenderSummary(w, sum, t.Format, opts.IO, t.Path)
	}); err != nil {
		return err
	}
	if sum.Failure != "" {
		// The tool's fault, not the server's: no gate outranks it.
		return fmt.Errorf("the run stopped at once: %s (the report covers the calls before it)", sum.Failure)
	}
	if out.Interrupted {
		// The user's own stop: the calls it cut are not a stall, and not errors.
		fmt.Fprintf(opts.IO.ErrOut, "stopped with %s in flight\n", report.Plural(int(out.Aborted), "call"))
		return ctx.Err()
	}
	if out.Stalled > 0 {
		return fmt.Errorf("the run stalled: calls were in flight and nothing moved for %s (--stall-timeout); %d calls in flight were cut short",
			out.Stalled.Round(time.Millisecond), out.Aborted)
	}
	// A failed gate wins over a run in which no call succeeded: the gate is
	// what CI asked about, and exit 3 says so.
	if err := gateError(sum, outcomeError(sum)); err != nil {
		return err
	}
	return outcomeError(sum)
}

// reportNotStarted writes every requested rendering of a run that made no
// call because it could not start (err: the server could not be reached,
// the method not found...), so that CI keeps a report of what happened,
// and returns err: its exit code is the run's. Usage errors and an
// interrupt write nothing; standard output gets the error alone.
func reportNotStarted(ctx context.Context, opts *RunOptions, err error) error {
	var usage *cli.UsageError
	if ctx.Err() != nil || errors.As(err, &usage) || len(opts.targets) == 0 {
		return err
	}
	name := opts.Method
	if len(opts.Calls) > 0 {
		name = opts.Calls[0].Method
	}
	meta := record.Meta{Method: name, Kind: event.Unary, Options: opts.Options, Notes: opts.Target.Notes(),
		Tool: cli.Version(), GRPCVersion: grpc.Version, CPUs: runtime.GOMAXPROCS(0)}
	rec := record.New(meta.Kind, 1)
	rec.End(time.Now())
	sum := rec.Summary(meta)
	sum.Kind = "" // not known: the method was never resolved
	sum.NotStarted = err.Error()
	sum.Name, sum.Tags = opts.Name, opts.tags
	sum.Findings = diagnose.Findings(sum)
	sum.Assertions = gate.EvaluateAssertions(sum, opts.assertions)
	files := make([]cli.OutputTarget, 0, len(opts.targets))
	for _, t := range opts.targets {
		if t.Path != "" {
			files = append(files, t)
		}
	}
	if werr := cli.WriteOutputs(opts.IO.Out, files, func(w io.Writer, t cli.OutputTarget) error {
		return cli.RenderSummary(w, sum, t.Format, opts.IO, t.Path)
	}); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// parseTags reads --tag KEY=VALUE labels; a key given twice is refused.
func parseTags(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	tags := make(map[string]string, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k = strings.TrimSpace(k)
		switch {
		case !ok || k == "":
			return nil, cli.UsageErrorf("--tag %q: want KEY=VALUE", a)
		}
		if _, dup := tags[k]; dup {
			return nil, cli.UsageErrorf("--tag %s is given twice", k)
		}
		tags[k] = v
	}
	return tags, nil
}

// gateError fails a run whose assertions failed, naming each with what was
// measured, then why the run stopped early and what else went wrong
// (outcome: no call succeeded).
func gateError(sum *report.Summary, outcome error) error {
	var failed []string
	for _, a := range sum.Assertions {
		if !a.Pass {
			failed = append(failed, fmt.Sprintf("%s: measured %s", a.Expr, a.Value))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	var notes []string
	if st := sum.StoppedBy; st != nil {
		notes = append(notes, fmt.Sprintf("the run was stopped early at %s by --abort-on-fail, when %s failed", report.FormatDuration(st.At), st.Assertion))
	}
	if outcome != nil {
		notes = append(notes, outcome.Error())
	}
	return &cli.GateError{Failed: failed, Notes: notes}
}

// outcomeError fails a run in which no call succeeded.
func outcomeError(sum *report.Summary) error {
	switch {
	case sum.Count == 0 && sum.Aborted > 0 && sum.CutDelivering >= sum.Aborted && sum.Unstarted == 0 && sum.Messages.Received > 0:
		return nil // every call was a stream still delivering at the end: longer than the run, measured by its messages
	case sum.Count == 0 && sum.Aborted > 0:
		msg := fmt.Sprintf("no call ended: the %s in flight at the end %s cut short", report.Plural(int(sum.Aborted), "call"), report.Agree(sum.Aborted, "was", "were"))
		if sum.Options.Call.StreamPacing == plan.PacingPingPong && sum.Messages.Sent > 0 && sum.Messages.Received == 0 {
			msg += "; no stream got an answer to its first message: ping-pong pacing needs a method that answers each message (try --stream-pacing pipeline)"
		}
		return errors.New(msg)
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

func (o *RunOptions) clock() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}
