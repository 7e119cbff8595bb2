package cmd

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/runner"
)

// DemoOptions are the inputs of `grpcpulse demo`.
type DemoOptions struct {
	IO *IOStreams
	// Duration is how long the demo keeps calling after the first tour.
	Duration time.Duration
	// Concurrency is how many calls the demo keeps in flight.
	Concurrency int
}

const demoService = "grpcpulse.test.v1.Pulse"

// NewCmdDemo builds `demo`; runF replaces demoRun in tests.
func NewCmdDemo(f *Factory, runF func(context.Context, *Factory, *DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "demo [-z DURATION]",
		Short: "Start the built-in server in-process and exercise it",
		Long: `Demo starts the built-in test server on 127.0.0.1, discovers its services through
reflection, calls one method of each RPC kind, then keeps calls of every kind in
flight for -z and prints what it did.`,
		Args: argsBetween(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Duration <= 0 {
				return usageErrorf("-z must be positive")
			}
			if opts.Concurrency < 1 {
				return usageErrorf("-c must be at least 1")
			}
			if runF != nil {
				return runF(c.Context(), f, opts)
			}
			return demoRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().DurationVarP(&opts.Duration, "duration", "z", 2*time.Second, "how long to keep calling")
	cmd.Flags().IntVarP(&opts.Concurrency, "concurrency", "c", 8, "calls in flight")
	return cmd
}

// demoData is one sample request (or stream of requests) per method.
var demoData = map[string]string{
	"Unary":        `{"message": "hello from grpcpulse demo", "id": 1}`,
	"ServerStream": `{"message": "stream to me"}`,
	"ClientStream": `{"id": 1} {"id": 2} {"id": 3}`,
	"Bidi":         `{"id": 1} {"id": 2} {"id": 3}`,
}

func demoRun(ctx context.Context, f *Factory, opts *DemoOptions) error {
	p := &printer{w: opts.IO.Out}
	srv, err := testserver.New()
	if err != nil {
		return err
	}
	defer srv.Stop()
	p.printf("started the built-in test server on %s\n", srv.Addr())
	cc, err := f.Dial(ctx, runner.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: runner.DefaultConnectTimeout})
	if err != nil {
		return err
	}
	defer cc.Close()
	calls, err := demoTour(ctx, p, cc)
	if err != nil {
		return err
	}
	p.printf("calling every method with %d in flight for %s...\n", opts.Concurrency, opts.Duration)
	tallies, elapsed := demoLoad(ctx, calls, opts)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	total := 0
	for _, t := range tallies {
		p.printf("  %-13s %7d calls, %d errors\n", t.name, t.calls, t.errors)
		total += t.calls
	}
	p.printf("%d calls in %s (%.0f calls/s)\n", total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
	return p.err
}

// demoCall makes one call of a method with its sample data and returns how
// many responses came.
type demoCall struct {
	name string
	call func(context.Context) (int, error)
}

// demoTour discovers the server through reflection and calls each Pulse
// method once, printing what happened.
func demoTour(ctx context.Context, p *printer, cc *grpc.ClientConn) ([]demoCall, error) {
	src := reflect.NewServerSource(ctx, cc, runner.DefaultConnectTimeout)
	defer src.Close()
	services, err := src.ListServices()
	if err != nil {
		return nil, err
	}
	p.printf("reflection lists %d services: %v\n", len(services), services)
	sd, err := reflect.FindService(src, demoService)
	if err != nil {
		return nil, err
	}
	var calls []demoCall
	methods := sd.Methods()
	for i := range methods.Len() {
		md := methods.Get(i)
		reqs, err := runner.ParseMessages(md.Input(), []byte(demoData[string(md.Name())]), nil)
		if err != nil {
			return nil, err
		}
		c := demoCall{string(md.Name()), func(ctx context.Context) (int, error) {
			n := 0
			_, err := runner.Invoke(ctx, cc, md, reqs, func(proto.Message) error { n++; return nil })
			return n, err
		}}
		start := time.Now()
		n, err := c.call(ctx)
		if err != nil {
			return nil, fmt.Errorf("calling %s: %w", md.FullName(), err)
		}
		p.printf("called %-13s (%s): sent %d, received %d in %s\n", md.Name(), runner.KindOf(md),
			len(reqs), n, time.Since(start).Round(time.Microsecond))
		calls = append(calls, c)
	}
	return calls, nil
}

type demoTally struct {
	name          string
	calls, errors int
}

// demoLoad keeps opts.Concurrency calls in flight, going round the methods,
// until opts.Duration is up. Time up means no new calls: the ones in flight
// finish (a deadline would cut them short and count them as errors), so the
// elapsed time it returns is measured, not assumed.
func demoLoad(ctx context.Context, calls []demoCall, opts *DemoOptions) ([]demoTally, time.Duration) {
	start := time.Now()
	end := start.Add(opts.Duration)
	var mu sync.Mutex
	tallies := make([]demoTally, len(calls))
	for i, c := range calls {
		tallies[i].name = c.name
	}
	var wg sync.WaitGroup
	for w := range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil && time.Now().Before(end); i++ {
				k := i % len(calls)
				_, err := calls[k].call(ctx)
				if ctx.Err() != nil {
					return // interrupted
				}
				mu.Lock()
				tallies[k].calls++
				if err != nil {
					tallies[k].errors++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return tallies, time.Since(start)
}
