package cmd

import (
	"context"
	"slices"

	"github.com/spf13/cobra"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/reflect"
)

// ListOptions are the inputs of `grpcpulse list`.
type ListOptions struct {
	IO      *cli.IOStreams
	Dial    cli.DialFunc
	Conn    cli.ConnOptions
	Service string
}

// NewCmdList builds `list`; runF replaces listRun in tests.
func NewCmdList(f *cli.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Dial: f.Dial}
	opts.Conn.Metadata.LookupEnv = f.LookupEnv
	cmd := &cobra.Command{
		Use:   "list [flags] [ADDR] [SERVICE]",
		Short: "List services, or the methods of one service",
		Example: `  grpcpulse list --plaintext 127.0.0.1:50051
  grpcpulse list --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse
  grpcpulse list --proto pulse.proto --import-path ./protos
  grpcpulse list --protoset pulse.protoset grpcpulse.test.v1.Pulse`,
		Args: cli.ArgsBetween(0, 2, "ADDR", "SERVICE"),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return opts.Conn.CompleteAfterAddr(c.Context(), opts.Dial, args, false, toComplete)
		},
		RunE: func(c *cobra.Command, args []string) error {
			var err error
			if opts.Service, err = opts.Conn.DiscoveryArgs(args, "service"); err != nil {
				return err
			}
			if err := opts.Conn.Validate(c.Context()); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(c.Context(), opts)
		},
	}
	opts.Conn.AddFlags(cmd.Flags())
	hideGroup(cmd.Flags(), tuningGroup) // one reflection exchange: keepalive, backoff and retries do not apply
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	s, err := opts.Conn.Open(ctx, opts.Dial, false)
	if err != nil {
		return err
	}
	defer s.Close()
	p := &printer{w: opts.IO.Out}
	if opts.Service == "" {
		names, err := s.Source.ListServices()
		if err != nil {
			return s.Explain(err)
		}
		names = slices.Sorted(slices.Values(names)) // as grpcurl prints them
		for _, name := range names {
			p.printf("%s\n", name)
		}
		return p.err
	}
	sd, err := reflect.FindService(s.Source, opts.Service)
	if err != nil {
		return s.Explain(err)
	}
	methods := sd.Methods()
	full := make([]string, methods.Len())
	for i := range full {
		full[i] = string(methods.Get(i).FullName())
	}
	slices.Sort(full) // as grpcurl prints them
	for _, name := range full {
		p.printf("%s\n", name)
	}
	return p.err
}
