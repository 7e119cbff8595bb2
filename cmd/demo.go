package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/cmd/run"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// DemoOptions are the inputs of `grpcpulse demo`.
type DemoOptions struct {
	IO   *cli.IOStreams
	Dial cli.DialFunc
	// Duration is how long the two load tests take together.
	Duration time.Duration
	// Concurrency is the number of workers of each load test.
	Concurrency int
}

const demoService = "grpcpulse.test.v1.Pulse"

// NewCmdDemo builds `demo`; runF replaces demoRun in tests.
func NewCmdDemo(f *cli.Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO, Dial: f.Dial}
	cmd := &cobra.Command{
		Use:   "demo [-z DURATION]",
		Short: "Start the built-in server in-process and exercise it",
		Long: `Demo starts the built-in test server on 127.0.0.1, discovers its services through
reflection, calls one method of each RPC kind, then load-tests it as grpcpulse run
would: unary calls, then bidi streams, each for half of -z with -c workers, and
prints both reports.`,
		Args: cli.ArgsBetween(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Duration <= 0 {
				return cli.UsageErrorf("-z must be positive")
			}
			if opts.Duration < minDemoDuration {
				// Each load test runs for half of -z, and a -z of 0 is no limit.
				return cli.UsageErrorf("-z must be at least %s (each of the two load tests runs for half of it), not %s", minDemoDuration, opts.Duration)
			}
			if opts.Concurrency < 1 {
				return cli.UsageErrorf("-c must be at least 1")
			}
			if runF != nil {
				return runF(opts)
			}
			return demoRun(c.Context(), opts)
		},
	}
	cmd.Flags().DurationVarP(&opts.Duration, "duration", "z", 4*time.Second, "how long the two load tests take together")
	cmd.Flags().IntVarP(&opts.Concurrency, "concurrency", "c", 8, "workers of each load test")
	return cmd
}

// minDemoDuration is the shortest -z demo takes: half of a shorter one
// could round to 0, which a run takes as no time limit.
const minDemoDuration = 10 * time.Millisecond

// demoData is one sample request (or stream of requests) per method.
var demoData = map[string]string{
	"Unary":        `{"message": "hello from grpcpulse demo", "id": 1}`,
	"ServerStream": `{"message": "stream to me"}`,
	"ClientStream": `{"id": 1} {"id": 2} {"id": 3}`,
	"Bidi":         `{"id": 1} {"id": 2} {"id": 3}`,
}

func demoRun(ctx context.Context, opts *DemoOptions) error {
	p := &printer{w: opts.IO.Out}
	srv, err := testserver.New()
	if err != nil {
		return err
	}
	defer srv.Stop()
	p.printf("started the built-in test server on %s\n", srv.Addr())
	target := plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: plan.DefaultConnectTimeout}
	cc, err := opts.Dial(ctx, target)
	if err != nil {
		return err
	}
	err = demoTour(ctx, p, cc)
	cc.Close()
	if err != nil {
		return err
	}
	// Two load tests through the same path as `grpcpulse run`: unary, then
	// bidi streams of 5 messages, each for half of -z.
	for _, load := range []struct {
		method, data string
		messages     int
	}{
		{demoService + "/Unary", demoData["Unary"], 1},
		{demoService + "/Bidi", demoData["Bidi"], 5},
	} {
		runOpts := &run.RunOptions{IO: opts.IO, Dial: opts.Dial, Method: load.method, Data: load.data,
			Options: plan.Options{Target: target,
				Load: plan.Load{Concurrency: opts.Concurrency, Connections: 1, Duration: opts.Duration / 2},
				Call: plan.Call{Messages: load.messages}}}
		if err := runOpts.Load.Validate(); err != nil { // runner.New trusts validated options
			return &cli.UsageError{Err: fmt.Errorf("%s: %w", strings.Replace(load.method, "/", ".", 1), err)}
		}
		p.printf("\n$ grpcpulse run --plaintext %s %s -c %d -z %s", srv.Addr(), load.method, opts.Concurrency, opts.Duration/2)
		if load.messages > 1 {
			p.printf(" --messages %d", load.messages)
		}
		p.printf("\n\n")
		if p.err != nil {
			return p.err
		}
		if err := run.Run(ctx, runOpts); err != nil {
			return err
		}
	}
	return p.err
}

// demoTour discovers the server through reflection and calls each Pulse
// method once, printing what happened.
func demoTour(ctx context.Context, p *printer, cc *grpc.ClientConn) error {
	src := reflect.NewServerSource(ctx, cc, plan.DefaultConnectTimeout)
	defer src.Close()
	services, err := src.ListServices()
	if err != nil {
		return err
	}
	p.printf("reflection lists %d services: %v\n", len(services), services)
	sd, err := reflect.FindService(src, demoService)
	if err != nil {
		return err
	}
	methods := sd.Methods()
	for i := range methods.Len() {
		md := methods.Get(i)
		reqs, err := data.ParseMessages(md.Input(), []byte(demoData[string(md.Name())]), nil)
		if err != nil {
			return err
		}
		start := time.Now()
		n := 0
		if _, err := runner.Invoke(ctx, cc, md, reqs, func(proto.Message) error { n++; return nil }); err != nil {
			return fmt.Errorf("calling %s: %w", md.FullName(), err)
		}
		p.printf("called %-13s (%s): sent %d, received %d in %s\n", md.Name(), runner.KindOf(md),
			len(reqs), n, time.Since(start).Round(time.Microsecond))
	}
	return p.err
}
