package cmd

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// DiagnoseOptions are the inputs of `grpcpulse diagnose`.
type DiagnoseOptions struct {
	IO *cli.IOStreams
	// ProbeOptions are the probe's target, metadata and duration: the
	// flags bind straight into them, and they go to conn.Probe as they are.
	conn.ProbeOptions
	// Output is --format (text or json) and -o. The text goes to standard
	// output as well when every rendering goes to a file.
	Output cli.OutputFlags
	// Source and MethodName: a method of the server's to probe with (the
	// optional METHOD argument), found by reflection or in --proto or
	// --protoset files, for a server without health or reflection.
	Source     cli.SourceOptions
	MethodName string
	Dial       cli.DialFunc

	targets []cli.OutputTarget
}

// maxProbeDuration bounds --duration.
const maxProbeDuration = time.Hour

// NewCmdDiagnose builds `diagnose`; runF replaces diagnoseRun in tests.
func NewCmdDiagnose(f *cli.Factory, runF func(*DiagnoseOptions) error) *cobra.Command {
	opts := &DiagnoseOptions{IO: f.IO, Dial: f.Dial}
	opts.Metadata.LookupEnv = f.LookupEnv
	cmd := &cobra.Command{
		Use:   "diagnose [flags] ADDR [METHOD]",
		Short: "Probe a server's connection behaviour: keepalive, idle and age limits, reconnects",
		Long: `Diagnose watches three connections to ADDR for --duration and says what the server (or
anything in between) does to them, with the cause and the fix of any problem:

  connection set-up, timed step by step (TCP, TLS, HTTP/2 preface);
  one connection holds an open stream that carries no data and sends keepalive pings:
    does the server accept them, or answer GOAWAY too_many_pings?
  one stays idle (with --keepalive-permit-without-stream it pings too): is it closed, and after how long?
  one makes a short call every second: is it recycled by age? how long do reconnects take?

It needs no method: it uses the health service, or else reflection. A server with
neither can be probed through one of its own methods: give METHOD (a streaming one
holds the open stream; a unary one makes the other connections' calls), with
--proto or --protoset when the server has no reflection. Without
--keepalive-time it pings every 10s, the most often grpc-go allows. Something not
seen within --duration is reported as not seen, never as absent. Ctrl-C stops early
and still reports what was seen.

Exit codes: 0 when the diagnosis has no finding at error level; 8 when it has one
(GOAWAY too_many_pings, for one: the report is written first), so that CI can fail
on it; 1 when the probe could not run (no connection); 130 on Ctrl-C.`,
		Example: `  grpcpulse diagnose --plaintext 127.0.0.1:50051
  grpcpulse diagnose --keepalive-time 30s --keepalive-permit-without-stream --duration 2m api.example.com:443
  grpcpulse diagnose --plaintext --format json -o probe.json 127.0.0.1:50051
  grpcpulse diagnose --plaintext --proto pulse.proto 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Bidi`,
		Args: cli.ArgsBetween(1, 2, "ADDR [METHOD]"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Target.Addr = args[0]
			if len(args) == 2 {
				opts.MethodName = args[1]
			} else if len(opts.Source.Protos)+len(opts.Source.Protosets) > 0 {
				return cli.UsageErrorf("--proto and --protoset describe the METHOD to probe with: give one after ADDR")
			}
			for _, err := range []error{conn.CheckTarget(c.Context(), &opts.Target), opts.Metadata.Validate(), opts.Source.Validate()} {
				if err != nil {
					return &cli.UsageError{Err: err}
				}
			}
			switch {
			case opts.Duration <= 0 || opts.Duration > maxProbeDuration:
				return cli.UsageErrorf("--duration must be positive and at most %s", maxProbeDuration)
			}
			targets, err := opts.Output.Plan(c.Flags())
			if err != nil {
				return err
			}
			if !cli.ToStdout(targets) {
				targets = append(targets, cli.OutputTarget{Format: "text"})
			}
			opts.targets = targets
			if runF != nil {
				return runF(opts)
			}
			return diagnoseRun(c.Context(), opts)
		},
	}
	fs := cmd.Flags()
	cli.AddTargetFlags(fs, &opts.Target)
	cli.AddMetadataFlags(fs, &opts.Metadata)
	opts.Source.AddFlags(fs)
	// Probe keepalive unless told otherwise, at the most grpc-go allows.
	opts.Target.Keepalive.Time = plan.MinKeepaliveTime
	fs.Lookup("keepalive-time").DefValue = plan.MinKeepaliveTime.String()
	fs.DurationVar(&opts.Duration, "duration", time.Minute, "how long to watch the connections")
	cli.AddOutputFlags(fs, &opts.Output, []string{"text", "json"})
	return cmd
}

func diagnoseRun(ctx context.Context, opts *DiagnoseOptions) error {
	// Resolve the metadata before saying anything, as run does: an unset
	// variable is reported alone. The probe resolves it again for its calls.
	if _, err := opts.Metadata.Call(); err != nil {
		return err
	}
	if opts.MethodName != "" {
		s, method, err := cli.OpenSessionMethod(ctx, opts.Dial, opts.Target, opts.Metadata, opts.Source, false, opts.MethodName)
		if err != nil {
			return err
		}
		s.Close()
		opts.Method = "/" + string(method.Parent().FullName()) + "/" + string(method.Name())
		opts.ClientStreams, opts.ServerStreams = method.IsStreamingClient(), method.IsStreamingServer()
	}
	fmt.Fprintf(opts.IO.ErrOut, "Probing %s for %s: timing a handshake; holding an open stream with keepalive pings %s; "+
		"keeping one connection idle; making a call every second on a third. Ctrl-C stops early and reports what was seen.\n",
		opts.Target.Addr, opts.Duration, keepaliveWords(opts.Target.Keepalive))
	rec := record.New(event.Unary, 1) // conn.Probe begins and ends the recording
	res, err := conn.Probe(ctx, opts.ProbeOptions, rec)
	if err != nil {
		return err
	}
	sum := rec.Summary(record.Meta{Kind: event.Unary, Options: plan.Options{Target: opts.Target},
		Notes: opts.Target.Notes(), Tool: cli.Version(), GRPCVersion: grpc.Version, CPUs: runtime.GOMAXPROCS(0)})
	diagnose.Diagnose(sum)
	p := report.NewProbe(sum, res)
	p.Checks = diagnose.ProbeChecks(p, opts.Duration)
	if err := cli.WriteOutputs(opts.IO.Out, opts.targets, func(w io.Writer, t cli.OutputTarget) error {
		return cli.RenderProbe(w, p, t.Format, opts.IO, t.Path)
	}); err != nil {
		return err
	}
	if res.Interrupted {
		return ctx.Err()
	}
	return findingError(p.Findings)
}

// findingError is the error (exit 8) of a diagnosis with findings at error
// level, so that CI can act on them; nil when it has none.
func findingError(findings []report.Finding) error {
	var errs []string
	for _, f := range findings {
		if f.Severity == report.SeverityError {
			errs = append(errs, f.Title)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &cli.FindingError{Titles: errs}
}

func keepaliveWords(k plan.Keepalive) string {
	if k.Time == 0 {
		return "off"
	}
	s := fmt.Sprintf("every %s", k.Effective())
	if k.Time < plan.MinKeepaliveTime {
		s += fmt.Sprintf(" (%s asked; grpc-go's minimum is %s)", k.Time, plan.MinKeepaliveTime)
	}
	return s
}
