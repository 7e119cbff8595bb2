package cli

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
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/plan"
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

func (o *SourceOptions) openFiles(ctx context.Context) (reflect.Source, error) {
	if len(o.Protosets) > 0 {
		return reflect.NewProtosetSourceContext(ctx, o.Protosets...)
	}
	return reflect.NewProtoSourceContext(ctx, o.ImportPaths, o.Protos...)
}

// ConnOptions are the flags of every command that talks to a server (run
// binds the same flags into its plan.Options instead).
type ConnOptions struct {
	Target   plan.Target   `json:"target"`
	Metadata plan.Metadata `json:"metadata"`
	Source   SourceOptions `json:"source"`
}

// AddFlags binds transport, metadata and descriptor source flags.
func (o *ConnOptions) AddFlags(fs *pflag.FlagSet) {
	AddConnFlags(fs, &o.Target, &o.Metadata, &o.Source)
}

// Validate checks every part (see ValidateConn); a file the flags name
// waits no longer than ctx.
func (o *ConnOptions) Validate(ctx context.Context) error {
	return ValidateConn(ctx, &o.Target, &o.Metadata, &o.Source)
}

// AddConnFlags binds transport, metadata and descriptor source flags.
func AddConnFlags(fs *pflag.FlagSet, t *plan.Target, md *plan.Metadata, src *SourceOptions) {
	AddTargetFlags(fs, t)
	AddMetadataFlags(fs, md)
	src.AddFlags(fs)
}

// ValidateConn checks every part; its errors are usage errors. A command
// that reads descriptor files and was given no address dials nothing, so
// the target is not checked then.
func ValidateConn(ctx context.Context, t *plan.Target, md *plan.Metadata, src *SourceOptions) error {
	var target error
	if t.Addr != "" || !src.fromFiles() {
		target = conn.CheckTarget(ctx, t)
	}
	for _, err := range []error{target, md.Validate(), src.Validate()} {
		if err != nil {
			return &UsageError{Err: err}
		}
	}
	return nil
}

// DiscoveryArgs reads the [ADDR] [NAME] arguments of list and describe into
// o.Target.Addr and the returned name. ADDR is required unless --proto or
// --protoset give the descriptors (nothing is dialled then); a lone argument
// is the address when it looks like one (it has a colon, which no protobuf
// name has), else the name.
func (o *ConnOptions) DiscoveryArgs(args []string, name string) (string, error) {
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
		return "", UsageErrorf("missing ADDR (or give --proto or --protoset to read the %s from files)", strings.ToLower(name)+"s")
	}
	return "", nil
}

// Session is an open connection (when one was needed) and a descriptor source.
type Session struct {
	Conn   *grpc.ClientConn
	Source reflect.Source
	Addr   string
}

// Open builds the descriptor source, dialling the target when reflection is
// needed or dial is true.
func (o *ConnOptions) Open(ctx context.Context, d DialFunc, dial bool) (*Session, error) {
	return OpenSession(ctx, d, o.Target, o.Metadata, o.Source, dial)
}

// OpenMethod opens a Session (see Open) and resolves the method named name.
func (o *ConnOptions) OpenMethod(ctx context.Context, d DialFunc, dial bool, name string) (*Session, protoreflect.MethodDescriptor, error) {
	return OpenSessionMethod(ctx, d, o.Target, o.Metadata, o.Source, dial, name)
}

// OpenSession builds the descriptor source of src, dialling t with d when
// reflection is needed or dial is true.
func OpenSession(ctx context.Context, d DialFunc, t plan.Target, md plan.Metadata, src SourceOptions, dial bool) (*Session, error) {
	s := &Session{Addr: t.Addr}
	if src.fromFiles() {
		files, err := src.openFiles(ctx)
		if err != nil {
			return nil, err
		}
		s.Source = files
		if !dial {
			return s, nil
		}
	}
	cc, err := d(ctx, t)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Conn = cc
	if s.Source == nil {
		h, err := md.Reflection()
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Source = reflect.NewServerSource(metadata.NewOutgoingContext(ctx, h), cc, t.ConnectTimeout)
	}
	return s, nil
}

// OpenSessionMethod opens a Session (see OpenSession) and resolves the
// method named name.
func OpenSessionMethod(ctx context.Context, d DialFunc, t plan.Target, md plan.Metadata, src SourceOptions, dial bool, name string) (*Session, protoreflect.MethodDescriptor, error) {
	s, err := OpenSession(ctx, d, t, md, src, dial)
	if err != nil {
		return nil, nil, err
	}
	method, err := reflect.FindMethod(s.Source, name)
	if err != nil {
		s.Close()
		return nil, nil, s.Explain(err)
	}
	return s, method, nil
}

// Explain adds what to do to errors of the descriptor source.
func (s *Session) Explain(err error) error {
	switch {
	case errors.Is(err, reflect.ErrReflectionNotSupported):
		return fmt.Errorf("%s does not support server reflection, so its services cannot be discovered\n"+
			"Pass the service's descriptors instead: --proto FILE (with --import-path DIR) or --protoset FILE", s.Addr)
	case errors.Is(err, reflect.ErrReflectionTimeout):
		return fmt.Errorf("%s accepted the connection but %w\n"+
			"Raise --connect-timeout for a slow server, or pass --proto FILE or --protoset FILE to skip reflection", s.Addr, err)
	}
	msg := err.Error()
	if what, cause, fix, ok := diagnose.ProxyAnswer(msg); ok {
		// grpc-go's words up to the proxy's page, which it quotes whole.
		head, _, _ := strings.Cut(msg, "\n")
		if _, desc, ok := strings.Cut(head, "desc = "); ok {
			head = desc
		}
		return &explained{fmt.Sprintf("server reflection: %s answered with %s, not gRPC (%s). %s\n%s", s.Addr, what, head, cause, fix), err}
	}
	if strings.Contains(msg, "received message larger than max") {
		return fmt.Errorf("%w\nRaise --max-msg-size: it bounds the reflection answers too (a service's descriptors can be large)", err)
	}
	return err
}

// explained is an error told in other words than its cause's.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// Close releases the source and the connection.
func (s *Session) Close() {
	if s.Source != nil {
		s.Source.Close()
	}
	if s.Conn != nil {
		s.Conn.Close()
	}
}
