package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/runner/conn"
)

// SourceOptions says where descriptors come from: files when any are given,
// server reflection otherwise.
type SourceOptions struct {
	Protos      []string `json:"proto,omitempty"`
	ImportPaths []string `json:"import_path,omitempty"`
	Protosets   []string `json:"protoset,omitempty"`
}

// AddFlags binds --proto, --import-path and --protoset.
func (o *SourceOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.Protos, "proto", nil, ".proto `file` describing the service (repeatable, at most 16 MiB each); no reflection needed")
	fs.StringArrayVar(&o.ImportPaths, "import-path", nil, "`dir` to resolve .proto imports from (repeatable)")
	fs.StringArrayVar(&o.Protosets, "protoset", nil, "compiled FileDescriptorSet `file` (repeatable, at most 64 MiB each); no reflection needed")
}

// Validate rejects mixing the two kinds of descriptor files.
func (o *SourceOptions) Validate() error {
	switch {
	case len(o.Protos) > 0 && len(o.Protosets) > 0:
		return errors.New("use either --proto or --protoset, not both")
	case len(o.ImportPaths) > 0 && len(o.Protos) == 0:
		return errors.New("--import-path only applies with --proto")
	}
	return nil
}

// fromFiles reports whether descriptors come from files.
func (o *SourceOptions) fromFiles() bool { return len(o.Protos) > 0 || len(o.Protosets) > 0 }

func (o *SourceOptions) openFiles() (reflect.Source, error) {
	if len(o.Protosets) > 0 {
		return reflect.NewProtosetSource(o.Protosets...)
	}
	return reflect.NewProtoSource(o.ImportPaths, o.Protos...)
}

// ConnOptions are the flags of every command that talks to a server (run
// binds the same flags into its runner.Options instead).
type ConnOptions struct {
	Target   conn.Target   `json:"target"`
	Metadata conn.Metadata `json:"metadata"`
	Source   SourceOptions `json:"source"`
}

// AddFlags binds transport, metadata and descriptor source flags.
func (o *ConnOptions) AddFlags(fs *pflag.FlagSet) {
	addConnFlags(fs, &o.Target, &o.Metadata, &o.Source)
}

// Validate checks every part (see validateConn).
func (o *ConnOptions) Validate() error {
	return validateConn(&o.Target, &o.Metadata, &o.Source)
}

// addConnFlags binds transport, metadata and descriptor source flags.
func addConnFlags(fs *pflag.FlagSet, t *conn.Target, md *conn.Metadata, src *SourceOptions) {
	t.AddFlags(fs)
	md.AddFlags(fs)
	src.AddFlags(fs)
}

// validateConn checks every part; its errors are usage errors. A command
// that reads descriptor files and was given no address dials nothing, so
// the target is not checked then.
func validateConn(t *conn.Target, md *conn.Metadata, src *SourceOptions) error {
	var target error
	if t.Addr != "" || !src.fromFiles() {
		target = t.Validate()
	}
	for _, err := range []error{target, md.Validate(), src.Validate()} {
		if err != nil {
			return &UsageError{Err: err}
		}
	}
	return nil
}

// discoveryArgs reads the [ADDR] [NAME] arguments of list and describe into
// o.Target.Addr and the returned name. ADDR is required unless --proto or
// --protoset give the descriptors (nothing is dialled then); a lone argument
// is the address when it looks like one (it has a colon, which no protobuf
// name has), else the name.
func (o *ConnOptions) discoveryArgs(args []string, name string) (string, error) {
	switch {
	case len(args) == 2:
		o.Target.Addr = args[0]
		return args[1], nil
	case len(args) == 1 && (!o.Source.fromFiles() || strings.Contains(args[0], ":")):
		o.Target.Addr = args[0]
		return "", nil
	case len(args) == 1:
		return args[0], nil
	case !o.Source.fromFiles():
		return "", usageErrorf("missing ADDR (or give --proto or --protoset to read the %s from files)", strings.ToLower(name)+"s")
	}
	return "", nil
}

// session is an open connection (when one was needed) and a descriptor source.
type session struct {
	cc     *grpc.ClientConn
	source reflect.Source
	addr   string
}

// open builds the descriptor source, dialling the target when reflection is
// needed or dial is true.
func (o *ConnOptions) open(ctx context.Context, d DialFunc, dial bool) (*session, error) {
	return openSession(ctx, d, o.Target, o.Metadata, o.Source, dial)
}

// openMethod opens a session (see open) and resolves the method named name.
func (o *ConnOptions) openMethod(ctx context.Context, d DialFunc, dial bool, name string) (*session, protoreflect.MethodDescriptor, error) {
	return openSessionMethod(ctx, d, o.Target, o.Metadata, o.Source, dial, name)
}

// openSession builds the descriptor source of src, dialling t with d when
// reflection is needed or dial is true.
func openSession(ctx context.Context, d DialFunc, t conn.Target, md conn.Metadata, src SourceOptions, dial bool) (*session, error) {
	s := &session{addr: t.Addr}
	if src.fromFiles() {
		files, err := src.openFiles()
		if err != nil {
			return nil, err
		}
		s.source = files
		if !dial {
			return s, nil
		}
	}
	cc, err := d(ctx, t)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.cc = cc
	if s.source == nil {
		h, err := md.Reflection()
		if err != nil {
			s.Close()
			return nil, err
		}
		s.source = reflect.NewServerSource(metadata.NewOutgoingContext(ctx, h), cc, t.ConnectTimeout)
	}
	return s, nil
}

// openSessionMethod opens a session (see openSession) and resolves the
// method named name.
func openSessionMethod(ctx context.Context, d DialFunc, t conn.Target, md conn.Metadata, src SourceOptions, dial bool, name string) (*session, protoreflect.MethodDescriptor, error) {
	s, err := openSession(ctx, d, t, md, src, dial)
	if err != nil {
		return nil, nil, err
	}
	method, err := reflect.FindMethod(s.source, name)
	if err != nil {
		s.Close()
		return nil, nil, s.explain(err)
	}
	return s, method, nil
}

// explain adds what to do to errors of the descriptor source.
func (s *session) explain(err error) error {
	switch {
	case errors.Is(err, reflect.ErrReflectionNotSupported):
		return fmt.Errorf("%s does not support server reflection, so its services cannot be discovered\n"+
			"Pass the service's descriptors instead: --proto FILE (with --import-path DIR) or --protoset FILE", s.addr)
	case errors.Is(err, reflect.ErrReflectionTimeout):
		return fmt.Errorf("%s accepted the connection but %w\n"+
			"Raise --connect-timeout for a slow server, or pass --proto FILE or --protoset FILE to skip reflection", s.addr, err)
	}
	return err
}

// Close releases the source and the connection.
func (s *session) Close() {
	if s.source != nil {
		s.source.Close()
	}
	if s.cc != nil {
		s.cc.Close()
	}
}
