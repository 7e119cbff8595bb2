package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// HealthOptions are the inputs of `grpcpulse health`.
type HealthOptions struct {
	IO   *cli.IOStreams
	Dial cli.DialFunc
	Conn cli.ConnOptions
	// Service is the service to ask about; "" asks about the server overall.
	Service string
	// Timeout bounds the Check call; 0 means no deadline. Not applied to Watch.
	Timeout time.Duration
	// Watch follows the status with the Watch stream until interrupted or
	// until the server ends the stream.
	Watch bool
	// Now stamps each status --watch prints; nil means time.Now.
	Now func() time.Time
}

// NewCmdHealth builds `health`; runF replaces healthRun in tests.
func NewCmdHealth(f *cli.Factory, runF func(*HealthOptions) error) *cobra.Command {
	opts := &HealthOptions{IO: f.IO, Dial: f.Dial}
	opts.Conn.Metadata.LookupEnv = f.LookupEnv
	cmd := &cobra.Command{
		Use:   "health [flags] ADDR [SERVICE]",
		Short: "Check a server's grpc.health.v1 status, or watch it change",
		Long: `Health asks the server's grpc.health.v1.Health service for the status of SERVICE
("" or no SERVICE: the server overall) and prints it: SERVING, NOT_SERVING,
UNKNOWN or SERVICE_UNKNOWN.

With --watch it follows the status with the Watch stream, printing each one with
a timestamp, until Ctrl-C or until the server ends the stream.

Exit codes:
  0  SERVING
  4  NOT_SERVING
  5  UNKNOWN
  6  SERVICE_UNKNOWN (the server does not know SERVICE)
  7  the server has no health service (grpc.health.v1.Health is unimplemented)
  1  no connection, or another error; 64+code when the call ends with another gRPC status
With --watch the code is that of the last status seen, whether the server ended
the stream or Ctrl-C did.`,
		Example: `  grpcpulse health --plaintext 127.0.0.1:50051
  grpcpulse health --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse
  grpcpulse health --watch my-service:443`,
		Args: cli.ArgsBetween(1, 2, "ADDR", "SERVICE"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Conn.Target.Addr = args[0]
			if len(args) > 1 {
				opts.Service = args[1]
			}
			if err := opts.Conn.Validate(c.Context()); err != nil {
				return err
			}
			if opts.Timeout < 0 {
				return cli.UsageErrorf("--timeout must not be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return healthRun(c.Context(), opts)
		},
	}
	fs := cmd.Flags()
	// Descriptor files mean nothing here: the health service is well known.
	cli.AddTargetFlags(fs, &opts.Conn.Target)
	cli.AddMetadataFlags(fs, &opts.Conn.Metadata)
	hideGroup(fs, tuningGroup) // one short exchange (or one stream): nothing to tune
	fs.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "deadline of the Check call (0: none; not applied with --watch)")
	fs.BoolVarP(&opts.Watch, "watch", "w", false, "follow status changes until Ctrl-C or the end of the stream")
	return cmd
}

func healthRun(ctx context.Context, opts *HealthOptions) error {
	md, err := opts.Conn.Metadata.Call()
	if err != nil {
		return err
	}
	cc, err := opts.Dial(ctx, opts.Conn.Target)
	if err != nil {
		return err
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)
	ctx = metadata.NewOutgoingContext(ctx, md)
	req := &healthpb.HealthCheckRequest{Service: opts.Service}
	if opts.Watch {
		return healthWatch(ctx, client, req, opts)
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	resp, err := client.Check(ctx, req)
	if err != nil {
		if status.Code(err) == codes.NotFound { // the health protocol's answer for an unknown service
			return healthResult(opts, healthpb.HealthCheckResponse_SERVICE_UNKNOWN)
		}
		return healthCallError(opts, err)
	}
	return healthResult(opts, resp.GetStatus())
}

// healthWatch prints each status the Watch stream sends, stamped, until ctx
// ends or the stream does.
func healthWatch(ctx context.Context, client healthpb.HealthClient, req *healthpb.HealthCheckRequest, opts *HealthOptions) error {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	stream, err := client.Watch(ctx, req)
	if err != nil {
		return healthCallError(opts, err)
	}
	last := healthpb.HealthCheckResponse_UNKNOWN
	seen := false
	p := &printer{w: opts.IO.Out}
	for {
		resp, err := stream.Recv()
		switch {
		case err == nil:
			last, seen = resp.GetStatus(), true
			p.printf("%s %s\n", now().UTC().Format("2006-01-02T15:04:05.000Z07:00"), statusName(last))
			if p.err != nil {
				return p.err
			}
			continue
		case errors.Is(err, io.EOF), ctx.Err() != nil && seen:
			// The server ended the stream, or Ctrl-C: the last status decides.
			return healthVerdict(opts, last)
		}
		return healthCallError(opts, err)
	}
}

// healthResult prints status and returns its verdict.
func healthResult(opts *HealthOptions, st healthpb.HealthCheckResponse_ServingStatus) error {
	p := &printer{w: opts.IO.Out}
	p.printf("%s\n", statusName(st))
	if p.err != nil {
		return p.err
	}
	return healthVerdict(opts, st)
}

// healthVerdict is nil for SERVING and a *HealthError for anything else.
func healthVerdict(opts *HealthOptions, st healthpb.HealthCheckResponse_ServingStatus) error {
	if st == healthpb.HealthCheckResponse_SERVING {
		return nil
	}
	what := "server " + plan.RedactTarget(opts.Conn.Target.Addr)
	if opts.Service != "" {
		what = fmt.Sprintf("service %q at %s", opts.Service, plan.RedactTarget(opts.Conn.Target.Addr))
	}
	msg := fmt.Sprintf("%s is %s", what, statusName(st))
	if st == healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
		msg = fmt.Sprintf("%s does not know service %q (SERVICE_UNKNOWN)", plan.RedactTarget(opts.Conn.Target.Addr), opts.Service)
	}
	return &cli.HealthError{Status: st, Msg: msg}
}

// healthCallError explains an error of the Check or Watch call.
func healthCallError(opts *HealthOptions, err error) error {
	st, ok := status.FromError(err)
	switch {
	case !ok:
		return err
	case st.Code() == codes.Unimplemented:
		return &cli.HealthError{NoHealth: true, Msg: fmt.Sprintf(
			"%s has no health service (grpc.health.v1.Health is unimplemented), so its health cannot be checked\n"+
				"Try grpcpulse diagnose %s, or call one of its methods", plan.RedactTarget(opts.Conn.Target.Addr), plan.RedactTarget(opts.Conn.Target.Addr))}
	}
	return &cli.CallError{Status: st}
}

// statusName is the status's name in the health protocol; a number the
// protocol does not define is shown as such.
func statusName(st healthpb.HealthCheckResponse_ServingStatus) string {
	if name, ok := healthpb.HealthCheckResponse_ServingStatus_name[int32(st)]; ok {
		return name
	}
	return fmt.Sprintf("UNKNOWN(%d)", int32(st))
}
