package cmd

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/keepalive"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// ServeOptions are the inputs of `grpcpulse serve`.
type ServeOptions struct {
	IO     *cli.IOStreams
	Listen string
	// Reflection is "all" (v1 and v1alpha), "v1alpha" or "none".
	Reflection string
	// TLSDir, when set, receives generated certificates and the server serves TLS.
	TLSDir string
	MTLS   bool
	// Keepalive enforcement and connection limits; zero durations mean grpc-go's defaults.
	KeepaliveMinTime             time.Duration
	KeepalivePermitWithoutStream bool
	MaxConnectionIdle            time.Duration
	MaxConnectionAge             time.Duration
	MaxConnectionAgeGrace        time.Duration
	MaxConcurrentStreams         uint32
}

// shutdownGrace bounds how long serve waits for calls in flight when stopped.
const shutdownGrace = 5 * time.Second

// NewCmdServe builds `serve`; runF replaces serveRun in tests.
func NewCmdServe(f *cli.Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run the built-in test server (all RPC kinds, reflection, controllable faults)",
		Long: `Serve runs the built-in gRPC test server until interrupted. Its first line of output
is "listening on ADDR". It serves grpcpulse.test.v1.Pulse (Unary, ServerStream,
ClientStream, Bidi), grpc.health.v1.Health (each service SERVING by name) and
server reflection.

Each call can be steered with request metadata (-H on call):
  x-pulse-delay: 50ms           wait before each response
  x-pulse-status: NOT_FOUND     end the call with this status (name or number)
  x-pulse-status-message: text  the status message
  x-pulse-fail-after: 2         fail after 2 responses (default: at once)
  x-pulse-messages: 10          responses a server stream sends (default 3; Bidi: per request)
  x-pulse-size: 1024            payload bytes in each response
  x-pulse-fail-attempts: 2      fail the first 2 attempts of each call (retry tests)
  x-pulse-echo-headers: true    send the request metadata back as response headers`,
		Example: `  grpcpulse serve
  grpcpulse serve --listen 127.0.0.1:0 --tls-dir /tmp/certs
  grpcpulse serve --keepalive-min-time 1m --max-connection-age 30s`,
		Args: cli.ArgsBetween(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			switch opts.Reflection {
			case "all", "v1alpha", "none":
			default:
				return cli.UsageErrorf("--reflection must be all, v1alpha or none, not %q", opts.Reflection)
			}
			if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
				return cli.UsageErrorf("--listen must be HOST:PORT (port 0 picks a free one), not %q", opts.Listen)
			}
			if opts.MTLS && opts.TLSDir == "" {
				return cli.UsageErrorf("--mtls needs --tls-dir")
			}
			for _, d := range []time.Duration{opts.KeepaliveMinTime, opts.MaxConnectionIdle, opts.MaxConnectionAge, opts.MaxConnectionAgeGrace} {
				if d < 0 {
					return cli.UsageErrorf("durations must not be negative")
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return serveRun(c.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Listen, "listen", "127.0.0.1:50051", "`address` to listen on (port 0 picks a free one)")
	fs.StringVar(&opts.Reflection, "reflection", "all", "reflection services: all, v1alpha or none")
	fs.StringVar(&opts.TLSDir, "tls-dir", "", "serve TLS with certificates generated into `dir` (ca.pem for --cacert)")
	fs.BoolVar(&opts.MTLS, "mtls", false, "demand a client certificate (client.pem/client-key.pem in --tls-dir)")
	fs.DurationVar(&opts.KeepaliveMinTime, "keepalive-min-time", 5*time.Minute, "shortest client ping interval tolerated before GOAWAY too_many_pings")
	fs.BoolVar(&opts.KeepalivePermitWithoutStream, "keepalive-permit-without-stream", false, "tolerate client pings on connections without calls")
	fs.DurationVar(&opts.MaxConnectionIdle, "max-connection-idle", 0, "close connections idle this long (0: never)")
	fs.DurationVar(&opts.MaxConnectionAge, "max-connection-age", 0, "close connections this old (0: never)")
	fs.DurationVar(&opts.MaxConnectionAgeGrace, "max-connection-age-grace", 0, "time calls get to finish after max age (0: unlimited)")
	fs.Uint32Var(&opts.MaxConcurrentStreams, "max-concurrent-streams", 0, "streams per connection (0: unlimited)")
	return cmd
}

func (o *ServeOptions) serverOptions() ([]testserver.Option, error) {
	opts := []testserver.Option{
		testserver.WithAddr(o.Listen),
		testserver.WithKeepalivePolicy(keepalive.EnforcementPolicy{
			MinTime: o.KeepaliveMinTime, PermitWithoutStream: o.KeepalivePermitWithoutStream}),
		testserver.WithKeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: o.MaxConnectionIdle, MaxConnectionAge: o.MaxConnectionAge,
			MaxConnectionAgeGrace: o.MaxConnectionAgeGrace}),
	}
	switch o.Reflection {
	case "v1alpha":
		opts = append(opts, testserver.WithReflection(testserver.ReflectionV1Alpha))
	case "none":
		opts = append(opts, testserver.WithoutReflection())
	}
	if o.MaxConcurrentStreams > 0 {
		opts = append(opts, testserver.WithMaxConcurrentStreams(o.MaxConcurrentStreams))
	}
	if o.TLSDir != "" {
		certs, err := testserver.GenerateCerts()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(o.TLSDir, 0o700); err != nil {
			return nil, err
		}
		if _, err := certs.WriteFiles(o.TLSDir); err != nil {
			return nil, err
		}
		opts = append(opts, testserver.WithTLS(certs, o.MTLS))
	}
	return opts, nil
}

func serveRun(ctx context.Context, opts *ServeOptions) error {
	serverOpts, err := opts.serverOptions()
	if err != nil {
		return err
	}
	srv, err := testserver.New(serverOpts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "listening on %s\n", srv.Addr())
	if opts.TLSDir != "" {
		fmt.Fprintf(opts.IO.Out, "TLS certificates in %s: connect with --cacert %s/ca.pem", opts.TLSDir, opts.TLSDir)
		if opts.MTLS {
			fmt.Fprintf(opts.IO.Out, " --cert %[1]s/client.pem --key %[1]s/client-key.pem", opts.TLSDir)
		}
		fmt.Fprintln(opts.IO.Out)
	}
	select {
	case <-ctx.Done():
	case <-waitChan(srv.Wait):
		return fmt.Errorf("server stopped: %w", srv.Wait())
	}
	stopped := waitChan(func() error { srv.GracefulStop(); return nil })
	select {
	case <-stopped:
	case <-time.After(shutdownGrace):
		srv.Stop()
	}
	fmt.Fprintln(opts.IO.ErrOut, "server stopped")
	return nil
}

// waitChan runs fn in a goroutine and returns a channel closed when it returns.
func waitChan(fn func() error) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		_ = fn()
		close(done)
	}()
	return done
}
