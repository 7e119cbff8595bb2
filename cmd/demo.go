package cmd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"
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
	out := opts.IO.Out
	srv, err := testserver.New()
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Fprintf(out, "started the built-in test server on %s\n", srv.Addr())
	cc, err := f.Dial(ctx, runner.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: runner.DefaultConnectTimeout})
	if err != nil {
		return err
	}
	defer cc.Close()
	src := reflect.NewServerSource(ctx, cc)
	defer src.Close()
	services, err := src.ListServices()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "reflection lists %d services: %v\n", len(services), services)
	sd, err := reflect.FindService(src, demoService)
	if err != nil {
		return err
	}
	type plan struct {
		name string
		call func(context.Context) (int, error)
	}
	var plans []plan
	methods := sd.Methods()
	for i := range methods.Len() {
		md := methods.Get(i)
		reqs, err := runner.ParseMessages(md.Input(), []byte(demoData[string(md.Name())]), nil)
		if err != nil {
			return err
		}
		plans = append(plans, plan{string(md.Name()), func(ctx context.Context) (int, error) {
			n := 0
			_, err := runner.Invoke(ctx, cc, md, reqs, func(proto.Message) error { n++; return nil })
			return n, err
		}})
		start := time.Now()
		n, err := plans[i].call(ctx)
		if err != nil {
			return fmt.Errorf("calling %s: %w", md.FullName(), err)
		}
		fmt.Fprintf(out, "called %-13s (%s): sent %d, received %d in %s\n", md.Name(), runner.KindOf(md),
			len(reqs), n, time.Since(start).Round(time.Microsecond))
	}

	fmt.Fprintf(out, "calling every method with %d in flight for %s...\n", opts.Concurrency, opts.Duration)
	// Time up means no new calls; the ones in flight finish (a deadline
	// would cut them short and count them as errors).
	start := time.Now()
	end := start.Add(opts.Duration)
	type tally struct{ calls, errors int }
	var mu sync.Mutex
	tallies := make([]tally, len(plans))
	var wg sync.WaitGroup
	for w := range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil && time.Now().Before(end); i++ {
				p := i % len(plans)
				_, err := plans[p].call(ctx)
				if ctx.Err() != nil {
					return // interrupted
				}
				mu.Lock()
				tallies[p].calls++
				if err != nil {
					tallies[p].errors++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	total := 0
	for i, t := range tallies {
		fmt.Fprintf(out, "  %-13s %7d calls, %d errors\n", plans[i].name, t.calls, t.errors)
		total += t.calls
	}
	fmt.Fprintf(out, "%d calls in %s (%.0f calls/s)\n", total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
	return nil
}
