package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
	// ProtosetOut is --protoset-out: where to write the described
	// descriptors, with their imports, as a FileDescriptorSet; "" for none.
	ProtosetOut string
	// ProtoOutDir is --proto-out-dir: the directory to write them to as
	// .proto files, each at its import path; "" for none.
	ProtoOutDir string
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
Without SYMBOL it describes every service. With --proto or --protoset no ADDR is needed.

--protoset-out FILE writes what was described, with every file it imports, as a
FileDescriptorSet (well-known google/protobuf files included); --proto-out-dir DIR
writes the same files as .proto sources under DIR at their import paths (the
well-known files are left out: every .proto compiler has them). Either loads back
offline: --protoset FILE, or --proto NAME --import-path DIR.`,
		Example: `  grpcpulse describe --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Pulse
  grpcpulse describe --plaintext 127.0.0.1:50051 grpcpulse.test.v1.Request
  grpcpulse describe --protoset pulse.protoset grpcpulse.test.v1.Pulse
  grpcpulse describe --plaintext 127.0.0.1:50051 --protoset-out pulse.protoset --proto-out-dir protos`,
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
			if err := opts.Conn.Validate(c.Context()); err != nil {
				return err
			}
			if err := checkExportFlags(c.Flags().Changed, opts.ProtosetOut, opts.ProtoOutDir); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return describeRun(c.Context(), opts)
		},
	}
	opts.Conn.AddFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.ProtosetOut, "protoset-out", "", "also write what is described, with its imports, to `file` as a FileDescriptorSet (for --protoset)")
	cmd.Flags().StringVar(&opts.ProtoOutDir, "proto-out-dir", "", "also write what is described, with its imports, as .proto files under `dir` (for --proto and --import-path)")
	_ = cmd.MarkFlagDirname("proto-out-dir")
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
	if err := exportDescriptors(opts, descs); err != nil {
		return err
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

// checkExportFlags refuses export destinations that cannot be right before
// anything is asked of the server: an empty name, standard output (it takes
// the description), a directory as the protoset file or a file as the
// output directory. changed reports whether a flag was given.
func checkExportFlags(changed func(string) bool, protosetOut, protoOutDir string) error {
	if changed("protoset-out") {
		switch protosetOut {
		case "":
			return cli.UsageErrorf("--protoset-out needs a file name")
		case "-":
			return cli.UsageErrorf("--protoset-out -: standard output takes the description; name a file")
		}
		if info, err := os.Stat(protosetOut); err == nil && info.IsDir() {
			return cli.UsageErrorf("--protoset-out %s is a directory; name a file", protosetOut)
		}
	}
	if changed("proto-out-dir") {
		if protoOutDir == "" {
			return cli.UsageErrorf("--proto-out-dir needs a directory name")
		}
		if info, err := os.Stat(protoOutDir); err == nil && !info.IsDir() {
			return cli.UsageErrorf("--proto-out-dir %s is not a directory", protoOutDir)
		}
	}
	return nil
}

// exportDescriptors writes descs, with their imports, where --protoset-out
// and --proto-out-dir say; each file is written atomically.
func exportDescriptors(opts *DescribeOptions, descs []protoreflect.Descriptor) error {
	if opts.ProtosetOut == "" && opts.ProtoOutDir == "" {
		return nil
	}
	files, err := reflect.ExportFiles(descs...)
	if err != nil {
		return err
	}
	if opts.ProtosetOut != "" {
		err := cli.WriteFile(opts.ProtosetOut, func(w io.Writer) error { return reflect.WriteProtoset(w, files) })
		if err != nil {
			return fmt.Errorf("writing the protoset to %s: %w", opts.ProtosetOut, withoutTempName(err))
		}
	}
	if opts.ProtoOutDir != "" {
		err := reflect.WriteProtoFiles(reflect.ProtoFiles(files), func(name string, write func(io.Writer) error) error {
			path := filepath.Join(opts.ProtoOutDir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := cli.WriteFile(path, write); err != nil {
				return fmt.Errorf("writing %s: %w", path, withoutTempName(err))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("--proto-out-dir %s: %w", opts.ProtoOutDir, err)
		}
	}
	return nil
}

// withoutTempName drops the name of the temporary file a write goes through
// from err ("open dir/.x.protoset.123.tmp: permission denied"): the caller
// names the file the user asked for.
func withoutTempName(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.HasSuffix(pe.Path, ".tmp") {
		return pe.Err
	}
	return err
}
