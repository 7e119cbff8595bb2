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
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// CallOptions are the inputs of `grpcpulse call`.
type CallOptions struct {
	IO     *cli.IOStreams
	Dial   cli.DialFunc
	Conn   cli.ConnOptions
	Method string
	// Data is JSON request messages, @file, or @- for standard input.
	Data string
	// Timeout bounds the call; 0 means no deadline.
	Timeout time.Duration
	// StallTimeout ends the call when no response message has come for this
	// long (since the call started or since the last message); 0 waits for
	// ever. A server that sends headers and then nothing would otherwise
	// hold a call without --timeout for ever.
	StallTimeout time.Duration
	// Format is how responses are printed: json, or text (protobuf text
	// format).
	Format string
	// EmitDefaults prints fields that hold their default value too (JSON).
	EmitDefaults bool
	// AllowUnknownFields skips fields of -d that the request type lacks
	// instead of refusing the data.
	AllowUnknownFields bool
	// Compress names the codec the request is compressed with ("": none).
	Compress string
	// Verbose prints request metadata, response headers and trailers to
	// stderr; 2 (-vv) adds timings.
	Verbose int
}

// NewCmdCall builds `call`; runF replaces callRun in tests.
func NewCmdCall(f *cli.Factory, runF func(*CallOptions) error) *cobra.Command {
	opts := &CallOptions{IO: f.IO, Dial: f.Dial}
	opts.Conn.Metadata.LookupEnv = f.LookupEnv
	cmd := &cobra.Command{
		Use:   "call [flags] ADDR METHOD",
		Short: "Make one call of any RPC kind; responses are printed as JSON",
		Long: `Call invokes METHOD (pkg.Service/Method or pkg.Service.Method) once.

Request data (-d) is JSON: inline, @file, or @- for standard input. For client- and
bidi-streaming methods it holds several JSON objects one after another, one per
stream message. Each response message is printed as one JSON document, in order.
A call that ends with a non-OK status exits 64 + the status code (NotFound: 69).

Without --timeout a call has no deadline, but it is not left waiting for ever on a
server that has gone quiet: when no response message has come for --stall-timeout
(1m by default; counted from the start of the call, then from each message) the
call is cancelled and call exits 1 saying it stalled. --stall-timeout 0 waits for ever.`,
		Example: `  grpcpulse call --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Unary -d '{"message":"hi"}'
  grpcpulse call --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse.ServerStream -H 'x-pulse-messages: 5'
  echo '{"id":1} {"id":2}' | grpcpulse call --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse/Bidi -d @-`,
		Args: cli.ArgsBetween(2, 2, "ADDR", "METHOD"),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) != 1 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			opts.Conn.Target.Addr = args[0]
			return cli.CompleteNames(c.Context(), opts.Dial, opts.Conn.Target, opts.Conn.Metadata, opts.Conn.Source, true, toComplete),
				cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Conn.Target.Addr, opts.Method = args[0], args[1]
			if err := opts.Conn.Validate(c.Context()); err != nil {
				return err
			}
			if err := cli.CheckRetryFlags(c.Flags(), &opts.Conn.Target); err != nil {
				return err
			}
			if opts.Timeout < 0 {
				return cli.UsageErrorf("--timeout must not be negative")
			}
			if opts.StallTimeout < 0 {
				return cli.UsageErrorf("--stall-timeout must not be negative")
			}
			if opts.Format != "json" && opts.Format != "text" {
				return cli.UsageErrorf("--format must be json or text, not %q", opts.Format)
			}
			if err := plan.CheckCompress(opts.Compress); err != nil {
				return &cli.UsageError{Err: err}
			}
			if err := reflect.CheckMethodName(opts.Method); err != nil {
				return &cli.UsageError{Err: err}
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
	fs.DurationVar(&opts.StallTimeout, "stall-timeout", plan.DefaultStallTimeout, "end the call when no response message has come for this long (0: never)")
	cli.AddCompressFlag(fs, &opts.Compress)
	fs.CountVarP(&opts.Verbose, "verbose", "v", "print request metadata, response headers and trailers to stderr; -vv adds timings")
	fs.StringVar(&opts.Format, "format", "json", "how responses are printed: json, or text (protobuf text format)")
	cli.SetValues(fs, "format", "json", "text")
	fs.BoolVar(&opts.EmitDefaults, "emit-defaults", false, "print fields that hold their default value too (JSON)")
	fs.BoolVar(&opts.AllowUnknownFields, "allow-unknown-fields", false, "skip fields of -d that the request type does not have, instead of refusing the data")
	return cmd
}

func callRun(ctx context.Context, opts *CallOptions) error {
	var t callTimes
	t.start = time.Now()
	dial := func(ctx context.Context, target plan.Target, o ...grpc.DialOption) (*grpc.ClientConn, error) {
		t.dialStart = time.Now()
		defer func() { t.dialEnd = time.Now() }()
		return opts.Dial(ctx, target, o...)
	}
	s, method, err := opts.Conn.OpenMethod(ctx, dial, true, opts.Method)
	if err != nil {
		return err
	}
	defer s.Close()
	t.described = time.Now()
	resolver := reflect.TypeResolver(s.Source)
	reqs, err := requestMessages(ctx, opts.Data, opts.IO.In, method, resolver, opts.AllowUnknownFields)
	if err != nil {
		return err
	}
	md, err := opts.Conn.Metadata.Call()
	if err != nil {
		return err
	}
	if opts.Verbose > 0 {
		if err := printMetadata(opts.IO.ErrOut, "Request metadata", report.RedactMetadata(md, opts.Conn.Metadata.Redact)); err != nil {
			return err
		}
	}
	ctx = metadata.NewOutgoingContext(ctx, md)
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	p := &responsePrinter{out: opts.IO.Out, errOut: opts.IO.ErrOut, resolver: resolver, text: opts.Format == "text",
		emitDefaults: opts.EmitDefaults, typeName: method.Output().FullName()}
	ctx, watch := watchCallStall(ctx, opts.StallTimeout)
	defer watch.stop()
	t.call = time.Now()
	res, err := runner.InvokeRaw(ctx, runner.Compressed(s.Conn, opts.Compress), method, reqs, resolver, func(r runner.Response) error {
		if t.first.IsZero() {
			t.first = time.Now()
		}
		watch.progressed()
		err := p.print(r)
		watch.progressed() // a slow reader of stdout is not the server stalling
		return err
	})
	t.end = time.Now()
	if err != nil && watch.fired(ctx) {
		return fmt.Errorf("the call stalled: no response message came for %s (--stall-timeout; 0 waits for ever)", opts.StallTimeout)
	}
	if opts.Verbose > 0 {
		werr := errors.Join(printMetadata(opts.IO.ErrOut, "Response headers", res.Header),
			printMetadata(opts.IO.ErrOut, "Response trailers", res.Trailer))
		if opts.Verbose > 1 && werr == nil {
			werr = t.print(opts.IO.ErrOut)
		}
		if werr != nil && err == nil {
			return werr
		}
	}
	if st, ok := status.FromError(err); ok && err != nil {
		return &cli.CallError{Status: st}
	}
	if err == nil {
		err = p.undecoded
	}
	return err
}

// callTimes are the moments of a call that -vv shows.
type callTimes struct {
	start, dialStart, dialEnd, described, call, first, end time.Time
}

func (t *callTimes) print(w io.Writer) error {
	pr := &printer{w: w}
	pr.printf("Timings:\n")
	if !t.dialStart.IsZero() {
		pr.printf("  connect (TCP, TLS, HTTP/2): %s\n", t.dialEnd.Sub(t.dialStart).Round(time.Microsecond))
	}
	pr.printf("  descriptors: %s\n", t.described.Sub(t.start).Round(time.Microsecond))
	if !t.first.IsZero() {
		pr.printf("  first response: %s after the call started\n", t.first.Sub(t.call).Round(time.Microsecond))
	}
	pr.printf("  call: %s\n  total: %s\n", t.end.Sub(t.call).Round(time.Microsecond), t.end.Sub(t.start).Round(time.Microsecond))
	return pr.err
}

// requestMessages reads -d. Without -d, unary and server-streaming calls send
// one empty message and client streams send none.
func requestMessages(ctx context.Context, arg string, stdin io.Reader, method protoreflect.MethodDescriptor, r data.Resolver, allowUnknown bool) ([]proto.Message, error) {
	if arg == "" {
		if method.IsStreamingClient() {
			return nil, nil
		}
		return []proto.Message{dynamicpb.NewMessage(method.Input())}, nil
	}
	raw, err := cli.ReadData(ctx, arg, stdin)
	if err != nil {
		return nil, err
	}
	return data.ParseMessagesAllowUnknown(method.Input(), raw, r, allowUnknown)
}

func printMetadata(w io.Writer, title string, md metadata.MD) error {
	p := &printer{w: w}
	p.printf("%s:\n", title)
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		p.printf("  (none)\n")
	}
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
