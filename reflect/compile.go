package reflect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/walk"
	"github.com/grpcpulse/grpcpulse/internal/inputfile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Size limits of the files this package reads: a path such as /dev/zero
// must fail fast instead of growing memory without bound. Real .proto files
// are far below a megabyte; protosets of large APIs (googleapis with every
// import) reach a few tens of megabytes.
const (
	maxProtoSize    = 16 << 20 // bytes of one .proto file
	maxProtosetSize = 64 << 20 // bytes of one FileDescriptorSet file
)

// readLimited reads all of r, named path in errors, failing once it holds
// more than limit bytes (what names the kind of file, as "a .proto file").
// It reads into chunks of growing size and joins them at the end, so that
// the bytes are copied once however large the input.
func readLimited(r io.Reader, path string, limit int64, what string) ([]byte, error) {
	var chunks [][]byte
	var total int64
	for size := int64(64 << 10); ; size = min(2*size, 4<<20) {
		if total > limit {
			return nil, tooLarge(path, limit, what)
		}
		buf := make([]byte, min(size, limit+1-total))
		n, err := io.ReadFull(r, buf)
		chunks = append(chunks, buf[:n])
		total += int64(n)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if total > limit {
		return nil, tooLarge(path, limit, what)
	}
	return bytes.Join(chunks, nil), nil
}

func tooLarge(path string, limit int64, what string) error {
	return fmt.Errorf("%s is larger than %d MiB, the limit for %s", path, limit>>20, what)
}

// readFileLimited opens and reads the file path, which must not be a
// directory nor hold more than limit bytes. Errors name path; a directory
// is told to give what files instead.
func readFileLimited(ctx context.Context, path string, limit int64, what string) ([]byte, error) {
	f, err := inputfile.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		return nil, &dirError{path: path, want: what}
	case fi.Mode().IsRegular() && fi.Size() > limit:
		return nil, tooLarge(path, limit, what)
	}
	if !fi.Mode().IsRegular() { // a FIFO or device: its reads wait no longer than ctx
		data, err := inputfile.ReadAll(ctx, f, limit)
		if errors.Is(err, inputfile.ErrTooLarge) {
			return nil, tooLarge(path, limit, what)
		}
		return data, err
	}
	return readLimited(f, path, limit, what)
}

// dirError reports a directory given where a file was expected.
type dirError struct {
	path string
	want string // the kind of file expected, as "a .proto file"
}

func (e *dirError) Error() string {
	if e.want == protoFile {
		return e.path + " is a directory; give .proto files (and the directory as an import path)"
	}
	return fmt.Sprintf("%s is a directory; give %s", e.path, e.want)
}

// The kinds of files read, as errors name them.
const (
	protoFile    = "a .proto file"
	protosetFile = "a protoset (FileDescriptorSet file)"
)

// openProto is the accessor of the compiler's source resolver: a bounded
// read of one .proto file, which waits no longer than ctx. Errors name the
// file, as protoparse's did.
func openProto(ctx context.Context, path string) (io.ReadCloser, error) {
	data, err := readFileLimited(ctx, path, maxProtoSize, protoFile)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// compileProtos parses and links the .proto files names, found under
// importPaths (or the current directory when there are none), with their
// comments. The well-known google/protobuf files resolve to the copies
// compiled into the program when they are not on disk. Errors of the
// sources name the file, line and column.
func compileProtos(ctx context.Context, importPaths, names []string) ([]protoreflect.FileDescriptor, error) {
	standard := protocompile.WithStandardImports(protocompile.CompositeResolver{})
	c := protocompile.Compiler{
		Resolver: protocompile.CompositeResolver{
			&protocompile.SourceResolver{ImportPaths: importPaths, Accessor: func(path string) (io.ReadCloser, error) {
				return openProto(ctx, path)
			}},
			standard,
		},
		MaxParallelism: 1,
		SourceInfoMode: protocompile.SourceInfoExtraComments,
	}
	results, err := c.Compile(ctx, names...)
	if err != nil {
		return nil, err
	}
	fds := make([]protoreflect.FileDescriptor, len(results))
	seen := make(map[string]bool, len(results))
	for i, res := range results {
		removeDynamicExtensions(res, seen)
		fds[i] = res
	}
	return fds, nil
}

// removeDynamicExtensions turns the custom options of fd and its imports,
// which the compiler leaves as dynamic extension fields, back into the
// unknown fields of their options messages (what a FileDescriptorSet
// decodes to, and what protoparse gave), so that the descriptors, their
// printed source and DescriptorHash do not depend on how they were loaded.
func removeDynamicExtensions(fd protoreflect.FileDescriptor, seen map[string]bool) {
	if seen[fd.Path()] {
		return
	}
	seen[fd.Path()] = true
	if res, ok := fd.(linker.Result); ok {
		fdp := res.FileDescriptorProto()
		fdp.Options = stripDynamic(fdp.Options)
		_ = walk.DescriptorProtos(fdp, func(_ protoreflect.FullName, m proto.Message) error {
			switch m := m.(type) {
			case *descriptorpb.DescriptorProto:
				m.Options = stripDynamic(m.Options)
				for _, r := range m.ExtensionRange {
					r.Options = stripDynamic(r.Options)
				}
			case *descriptorpb.FieldDescriptorProto:
				m.Options = stripDynamic(m.Options)
			case *descriptorpb.OneofDescriptorProto:
				m.Options = stripDynamic(m.Options)
			case *descriptorpb.EnumDescriptorProto:
				m.Options = stripDynamic(m.Options)
			case *descriptorpb.EnumValueDescriptorProto:
				m.Options = stripDynamic(m.Options)
			case *descriptorpb.ServiceDescriptorProto:
				m.Options = stripDynamic(m.Options)
			case *descriptorpb.MethodDescriptorProto:
				m.Options = stripDynamic(m.Options)
			}
			return nil
		})
	}
	imports := fd.Imports()
	for i := range imports.Len() {
		removeDynamicExtensions(imports.Get(i).FileDescriptor, seen)
	}
}

// stripDynamic returns opts with its extension fields re-decoded from their
// encoding: extensions the program knows stay typed, the others become
// unknown fields. On any error opts is returned as it is (best effort).
func stripDynamic[O interface {
	*T
	proto.Message
}, T any](opts O) O {
	if opts == nil {
		return nil
	}
	var exts []protoreflect.FieldDescriptor
	var vals []protoreflect.Value
	opts.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.IsExtension() {
			exts = append(exts, fd)
			vals = append(vals, v)
		}
		return true
	})
	if len(exts) == 0 {
		return opts
	}
	only := opts.ProtoReflect().Type().New()
	for i, fd := range exts {
		only.Set(fd, vals[i])
	}
	data, err := proto.MarshalOptions{AllowPartial: true}.Marshal(only.Interface())
	if err != nil {
		return opts
	}
	clone := proto.Clone(opts).ProtoReflect()
	for _, fd := range exts {
		clone.Clear(fd)
	}
	if err := (proto.UnmarshalOptions{AllowPartial: true, Merge: true}).Unmarshal(data, clone.Interface()); err != nil {
		return opts
	}
	return clone.Interface().(O)
}
