package reflect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jhump/protoreflect/v2/grpcreflect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// serverSource asks a server through its reflection service. The
// grpcreflect client caches every file it has fetched and serialises its use
// of the one reflection stream, so the source is safe for concurrent use.
type serverSource struct {
	client  *grpcreflect.Client
	cancel  context.CancelFunc
	timeout time.Duration
}

var _ Source = (*serverSource)(nil)

// NewServerSource returns a Source backed by the server reflection service
// reachable through cc, trying grpc.reflection.v1 first and falling back to
// v1alpha. ctx carries the outgoing metadata sent with the reflection stream
// and bounds it: when ctx ends, later look-ups fail.
//
// timeout bounds each look-up (0: no bound). A server that does not answer in
// time would otherwise hang the caller: the reflection stream has no deadline
// of its own. After a look-up times out the stream is gone and the source
// answers every look-up with that error.
//
// Nothing is sent until the first look-up. Errors of look-ups wrap
// ErrReflectionNotSupported when the server implements neither reflection
// version, match ErrNotFound for unknown names, and otherwise wrap the RPC
// error so that status.FromError still finds its code.
func NewServerSource(ctx context.Context, cc grpc.ClientConnInterface, timeout time.Duration) Source {
	ctx, cancel := context.WithCancel(ctx)
	client := grpcreflect.NewClientAuto(ctx, patchingConn{cc},
		grpcreflect.WithFallbackResolvers(protoregistry.GlobalFiles, protoregistry.GlobalTypes))
	return &serverSource{client: client, cancel: cancel, timeout: timeout}
}

// ErrReflectionTimeout is wrapped by the error of a look-up that the server
// did not answer within the source's timeout.
var ErrReflectionTimeout = errors.New("the server did not answer the reflection request in time")

// bounded runs a look-up; when it outlasts the timeout the reflection stream
// is cancelled, which ends the look-up.
func bounded[T any](s *serverSource, lookup func() (T, error)) (T, error) {
	if s.timeout <= 0 {
		return lookup()
	}
	var timedOut atomic.Bool
	timer := time.AfterFunc(s.timeout, func() { timedOut.Store(true); s.cancel() })
	v, err := lookup()
	timer.Stop()
	if err != nil && timedOut.Load() {
		var zero T
		return zero, fmt.Errorf("%w (waited %s)", ErrReflectionTimeout, s.timeout)
	}
	return v, err
}

func (s *serverSource) ListServices() ([]string, error) {
	fullNames, err := bounded(s, s.client.ListServices)
	if err != nil {
		return nil, s.wrapErr("", err)
	}
	names := make([]string, len(fullNames))
	for i, n := range fullNames {
		names[i] = string(n)
	}
	slices.Sort(names)
	return names, nil
}

func (s *serverSource) FindSymbol(name string) (protoreflect.Descriptor, error) {
	name = trimName(name)
	if name == "" {
		return nil, errors.New("empty symbol name")
	}
	return bounded(s, func() (protoreflect.Descriptor, error) { return s.findSymbol(name) })
}

func (s *serverSource) findSymbol(name string) (protoreflect.Descriptor, error) {
	fd, err := s.client.FileContainingSymbol(protoreflect.FullName(name))
	if err == nil {
		if d := lookupIn(fd, name); d != nil {
			return d, nil
		}
		return nil, &NotFoundError{Kind: "symbol", Name: name}
	}
	// Servers that index only top-level symbols do not find a method or a
	// field by its own name; the file declaring its parent holds it too.
	if isNotFound(err) {
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			if pfd, perr := s.client.FileContainingSymbol(protoreflect.FullName(name[:i])); perr == nil {
				if d := lookupIn(pfd, name); d != nil {
					return d, nil
				}
			}
		}
	}
	return nil, s.wrapErr(name, err)
}

// Close cancels the reflection stream, then releases it: Reset alone waits
// for the stream's receive, which never ends when the server has stopped
// answering.
func (s *serverSource) Close() error {
	s.cancel()
	s.client.Reset()
	return nil
}

// findExtension resolves an extension of message by field number, for
// TypeResolver.
func (s *serverSource) findExtension(message protoreflect.FullName, number protoreflect.FieldNumber) (protoreflect.ExtensionDescriptor, error) {
	fd, err := bounded(s, func() (protoreflect.FileDescriptor, error) {
		return s.client.FileContainingExtension(message, number)
	})
	if err != nil {
		return nil, s.wrapErr(fmt.Sprintf("%s extension %d", message, number), err)
	}
	if x := extensionIn(fd, message, number); x != nil {
		return x, nil
	}
	return nil, &NotFoundError{Kind: "symbol", Name: fmt.Sprintf("%s extension %d", message, number)}
}

// extensionIn finds the extension of message numbered number declared in f,
// at file level or nested in a message, or returns nil.
func extensionIn(f protoreflect.FileDescriptor, message protoreflect.FullName, number protoreflect.FieldNumber) protoreflect.ExtensionDescriptor {
	match := func(xs protoreflect.ExtensionDescriptors) protoreflect.ExtensionDescriptor {
		for i := range xs.Len() {
			if x := xs.Get(i); x.ContainingMessage().FullName() == message && x.Number() == number {
				return x
			}
		}
		return nil
	}
	var inMessages func(mds protoreflect.MessageDescriptors) protoreflect.ExtensionDescriptor
	inMessages = func(mds protoreflect.MessageDescriptors) protoreflect.ExtensionDescriptor {
		for i := range mds.Len() {
			md := mds.Get(i)
			if x := match(md.Extensions()); x != nil {
				return x
			}
			if x := inMessages(md.Messages()); x != nil {
				return x
			}
		}
		return nil
	}
	if x := match(f.Extensions()); x != nil {
		return x
	}
	return inMessages(f.Messages())
}

// lookupIn finds the element of fd named name, by its exact protobuf
// name (enum values scoped beside their enum: pkg.VALUE, not
// pkg.Enum.VALUE, as the file sources do), or returns nil.
func lookupIn(fd protoreflect.FileDescriptor, name string) protoreflect.Descriptor {
	var files protoregistry.Files
	if err := files.RegisterFile(fd); err != nil {
		return nil
	}
	d, err := files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil
	}
	return d
}

func isNotFound(err error) bool {
	return grpcreflect.IsElementNotFoundError(err) || status.Code(err) == codes.NotFound
}

// wrapErr classifies an error of the reflection client for name (empty for
// ListServices).
func (s *serverSource) wrapErr(name string, err error) error {
	switch {
	case name != "" && isNotFound(err):
		nf := &NotFoundError{Kind: "symbol", Name: name}
		// grpcreflect explains a symbol whose file imports a file the
		// server cannot supply with a chain of "caused by" lines; keep it,
		// since the symbol itself does exist.
		if msg := err.Error(); strings.Contains(msg, "\ncaused by: ") {
			nf.hint = "server reflection: " + strings.ReplaceAll(msg, "\n", "; ")
		}
		return nf
	case status.Code(err) == codes.Unimplemented:
		return fmt.Errorf("%w: %w", ErrReflectionNotSupported, err)
	default:
		return fmt.Errorf("server reflection: %w", err)
	}
}
