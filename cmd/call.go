package cmd

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner"
)

// CallOptions are the inputs of `grpcpulse call`.
type CallOptions struct {
	IO     *IOStreams
	Dial   DialFunc
	Conn   ConnOptions
	Method string
	// Data is JSON request messages, @file, or @- for standard input.
	Data string
	// Timeout bounds the call; 0 means no deadline.
	Timeout time.Duration
	// Verbose prints response headers and trailers to stderr.
	Verbose bool
}

// NewCmdCall builds `call`; runF replaces callRun in tests.
func NewCmdCall(f *Factory, runF func(*CallOptions) error) *cobra.Command {
	opts := &CallOptions{IO: f.IO, Dial: f.Dial}
	opts.Conn.Metadata.LookupEnv = f.LookupEnv
	cmd := &cobra.Command{
		Use:   "call [flags] ADDR METHOD",
		Short: "Make one call of any RPC kind; responses are printed as JSON",
		Long: `Call invokes METHOD (pkg.Service/Method or pkg.Service.Method) once.

Request data (-d) is JSON: inline, @file, or @- for standard input. For client- and
bidi-streaming methods it holds several JSON objects one after another, one per
stream message. Each response message is printed as one JSON document, in order.
A call that ends with a non-OK status exits 64 + the status code (NotFound: 69).`,
		Example: `  grpcpulse call --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Unary -d '{"message":"hi"}'
  grpcpulse call --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse.ServerStream -H 'x-pulse-messages: 5'
  echo '{"id":1} {"id":2}' | grpcpulse call --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Bidi -d @-`,
		Args: argsBetween(2, 2, "ADDR", "METHOD"),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) != 1 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			opts.Conn.Target.Addr = args[0]
			return completeNames(c.Context(), opts.Dial, opts.Conn.Target, opts.Conn.Metadata, opts.Conn.Source, true, toComplete),
				cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Conn.Target.Addr, opts.Method = args[0], args[1]
			if err := opts.Conn.Validate(); err != nil {
				return err
			}
			if opts.Timeout < 0 {
				return usageErrorf("--timeout must not be negative")
			}
			if err := reflect.CheckMethodName(opts.Method); err != nil {
				return &UsageError{Err: err}
			}
			if runF != nil {
				return runF(opts)
			}
			return callRun(c.Context(), opts)
		},
	}
	fs := cmd.Flags()
	opts.Conn.AddFlags(fs)
	fs.StringVarP(&opts.Data, "data", "d", "", "request `JSON`, @file, or @- for stdin (streams: several objects; at most 64 MiB)")
	fs.DurationVar(&opts.Timeout, "timeout", 0, "deadline of the call (0: none)")
	fs.BoolVarP(&opts.Verbose, "verbose", "v", false, "print response headers and trailers to stderr")
	return cmd
}

func callRun(ctx context.Context, opts *CallOptions) error {
	s, method, err := opts.Conn.openMethod(ctx, opts.Dial, true, opts.Method)
	if err != nil {
		return err
	}
	defer s.Close()
	resolver := reflect.TypeResolver(s.source)
	reqs, err := requestMessages(ctx, opts.Data, opts.IO.In, method, resolver)
	if err != nil {
		return err
	}
	md, err := opts.Conn.Metadata.Call()
	if err != nil {
		return err
	}
	ctx = metadata.NewOutgoingContext(ctx, md)
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	res, err := runner.Invoke(ctx, s.cc, method, reqs, func(m proto.Message) error {
		js, err := marshalJSON(m, resolver, false)
		if err != nil {
			return fmt.Errorf("cannot print response: %w", err)
		}
		_, err = opts.IO.Out.Write(js)
		return err
	})
	if opts.Verbose {
		if werr := errors.Join(printMetadata(opts.IO.ErrOut, "Response headers", res.Header),
			printMetadata(opts.IO.ErrOut, "Response trailers", res.Trailer)); werr != nil && err == nil {
			return werr
		}
	}
	if st, ok := status.FromError(err); ok && err != nil {
		return &CallError{Status: st}
	}
	return err
}

// requestMessages reads -d. Without -d, unary and server-streaming calls send
// one empty message and client streams send none.
func requestMessages(ctx context.Context, data string, stdin io.Reader, method protoreflect.MethodDescriptor, r runner.Resolver) ([]proto.Message, error) {
	if data == "" {
		if method.IsStreamingClient() {
			return nil, nil
		}
		return []proto.Message{dynamicpb.NewMessage(method.Input())}, nil
	}
	raw, err := readData(ctx, data, stdin)
	if err != nil {
		return nil, err
	}
	return runner.ParseMessages(method.Input(), raw, r)
}

func printMetadata(w io.Writer, title string, md metadata.MD) error {
	p := &printer{w: w}
	p.printf("%s:\n", title)
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range md[k] {
			if strings.HasSuffix(k, "-bin") {
				v = base64.StdEncoding.EncodeToString([]byte(v)) // grpc-go hands binary headers over decoded
			}
			p.printf("  %s: %s\n", report.Printable(k, true), report.Printable(v, true))
		}
	}
	return p.err
}
