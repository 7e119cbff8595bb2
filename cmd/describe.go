package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/reflect"
)

// DescribeOptions are the inputs of `grpcpulse describe`.
type DescribeOptions struct {
	IO     *cli.IOStreams
	Dial   cli.DialFunc
	Conn   cli.ConnOptions
	Symbol string
}

// NewCmdDescribe builds `describe`; runF replaces describeRun in tests.
func NewCmdDescribe(f *cli.Factory, runF func(*DescribeOptions) error) *cobra.Command {
	opts := &DescribeOptions{IO: f.IO, Dial: f.Dial}
	opts.Conn.Metadata.LookupEnv = f.LookupEnv
	cmd := &cobra.Command{
		Use:   "describe [flags] [ADDR] [SYMBOL]",
		Short: "Show a service, method, message or enum (messages with a JSON template)",
		Long: `Describe prints the proto definition of SYMBOL: a service, a method (pkg.Service/Method
or pkg.Service.Method), a message (with a JSON template to fill in for -d) or an enum.
Without SYMBOL it describes every service. With --proto or --protoset no ADDR is needed.`,
		Example: `  grpcpulse describe --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse
  grpcpulse describe --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Request
  grpcpulse describe --protoset pulse.protoset grpcpulse.test.v1.Pulse`,
		Args: cli.ArgsBetween(0, 2, "ADDR", "SYMBOL"),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return opts.Conn.CompleteAfterAddr(c.Context(), opts.Dial, args, true, toComplete)
		},
		RunE: func(c *cobra.Command, args []string) error {
			var err error
			if opts.Symbol, err = opts.Conn.DiscoveryArgs(args, "service"); err != nil {
				return err
			}
			if len(args) > 0 && opts.Symbol != "" && strings.Trim(opts.Symbol, "./") == "" {
				return cli.UsageErrorf("SYMBOL %q names nothing", opts.Symbol)
			}
			if err := opts.Conn.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return describeRun(c.Context(), opts)
		},
	}
	opts.Conn.AddFlags(cmd.Flags())
	hideGroup(cmd.Flags(), tuningGroup) // one reflection exchange: keepalive, backoff and retries do not apply
	return cmd
}

func describeRun(ctx context.Context, opts *DescribeOptions) error {
	s, err := opts.Conn.Open(ctx, opts.Dial, false)
	if err != nil {
		return err
	}
	defer s.Close()
	var descs []protoreflect.Descriptor
	if opts.Symbol == "" {
		names, err := s.Source.ListServices()
		if err != nil {
			return s.Explain(err)
		}
		for _, name := range names {
			d, err := s.Source.FindSymbol(name)
			if err != nil {
				return s.Explain(err)
			}
			descs = append(descs, d)
		}
	} else {
		d, err := reflect.FindDescriptor(s.Source, opts.Symbol)
		if err != nil {
			return s.Explain(err)
		}
		descs = append(descs, d)
	}
	for i, d := range descs {
		if i > 0 {
			fmt.Fprintln(opts.IO.Out)
		}
		if err := describeOne(opts.IO.Out, d); err != nil {
			return err
		}
	}
	return nil
}

func describeOne(w io.Writer, d protoreflect.Descriptor) error {
	text, err := reflect.Describe(d)
	if err != nil {
		return err
	}
	var kind string
	var template protoreflect.MessageDescriptor
	switch d := d.(type) {
	case protoreflect.ServiceDescriptor:
		kind = "a service"
	case protoreflect.MethodDescriptor:
		kind, template = "a method", d.Input()
	case protoreflect.MessageDescriptor:
		kind, template = "a message", d
	case protoreflect.EnumDescriptor:
		kind = "an enum"
	case protoreflect.EnumValueDescriptor:
		kind = "an enum value"
	case protoreflect.FieldDescriptor:
		kind = "a field"
	default:
		kind = "a symbol"
	}
	if _, err := fmt.Fprintf(w, "%s is %s:\n%s\n", d.FullName(), kind, strings.TrimRight(text, "\n")); err != nil {
		return err
	}
	if template == nil {
		return nil
	}
	js, err := reflect.Template(template)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "\n%s template (-d):\n%s", template.FullName(), js)
	return err
}
