package reflect

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/jhump/protoreflect/v2/protoprint"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// ExportFiles returns the files declaring descs and every file they import,
// transitively, each once, a file always after the files it imports (the
// order protoc --include_imports writes and NewProtosetSource links). The
// files declaring descs come in the order of descs.
//
// An import the source could not supply (a placeholder file) is an error
// naming it: what is exported must load back on its own.
func ExportFiles(descs ...protoreflect.Descriptor) ([]protoreflect.FileDescriptor, error) {
	var files []protoreflect.FileDescriptor
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor, importer string) error
	add = func(fd protoreflect.FileDescriptor, importer string) error {
		if seen[fd.Path()] {
			return nil
		}
		seen[fd.Path()] = true
		if fd.IsPlaceholder() {
			return fmt.Errorf("export: %s imports %s, which the source does not have", importer, fd.Path())
		}
		imports := fd.Imports()
		for i := range imports.Len() {
			if err := add(imports.Get(i).FileDescriptor, fd.Path()); err != nil {
				return err
			}
		}
		files = append(files, fd)
		return nil
	}
	for _, d := range descs {
		if d == nil {
			return nil, errors.New("export: no descriptor")
		}
		if err := add(d.ParentFile(), string(d.FullName())); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// fileProto returns the FileDescriptorProto of fd: the compiler's own for
// files parsed from .proto source (with their comments), else one rebuilt
// from the descriptor.
func fileProto(fd protoreflect.FileDescriptor) *descriptorpb.FileDescriptorProto {
	if p, ok := fd.(interface {
		FileDescriptorProto() *descriptorpb.FileDescriptorProto
	}); ok {
		return proto.Clone(p.FileDescriptorProto()).(*descriptorpb.FileDescriptorProto)
	}
	return protodesc.ToFileDescriptorProto(fd)
}

// FileSet returns files (as ExportFiles gives them) as a FileDescriptorSet,
// in the same order. Well-known google/protobuf files are included, as
// protoc --include_imports and grpcurl include them, so the set stands on
// its own.
func FileSet(files []protoreflect.FileDescriptor) *descriptorpb.FileDescriptorSet {
	set := &descriptorpb.FileDescriptorSet{File: make([]*descriptorpb.FileDescriptorProto, len(files))}
	for i, fd := range files {
		set.File[i] = fileProto(fd)
	}
	return set
}

// WriteProtoset writes files (as ExportFiles gives them) to w as a binary
// FileDescriptorSet, which NewProtosetSource (--protoset) loads back.
func WriteProtoset(w io.Writer, files []protoreflect.FileDescriptor) error {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(FileSet(files))
	if err != nil {
		return fmt.Errorf("export: encoding the file descriptor set: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// ProtoFiles returns the files of files to write as .proto source: all but
// the well-known google/protobuf files that every .proto source resolves
// without a file on disk (NewProtoSource, protoc and buf all ship them).
// A google/protobuf file this program does not know is kept.
func ProtoFiles(files []protoreflect.FileDescriptor) []protoreflect.FileDescriptor {
	var out []protoreflect.FileDescriptor
	for _, fd := range files {
		if strings.HasPrefix(fd.Path(), "google/protobuf/") {
			if _, err := protoregistry.GlobalFiles.FindFileByPath(fd.Path()); err == nil {
				continue
			}
		}
		out = append(out, fd)
	}
	return out
}

// CheckProtoPath refuses a file name that would not stay inside the
// directory the .proto files are written to: an absolute path, one that
// climbs out with "..", or one with a backslash or NUL. File names come
// from the source, which may be a server.
func CheckProtoPath(name string) error {
	if name == "" || strings.ContainsAny(name, "\\\x00") || !filepath.IsLocal(filepath.FromSlash(name)) ||
		strings.HasPrefix(name, "/") {
		return fmt.Errorf("export: file name %q is not a relative path inside the output directory", name)
	}
	return nil
}

// PrintProtoFile writes fd as .proto source to w: every element with its
// options and, when the descriptor has source information, its comments.
// Types are named relative to the file's package, so the output reads like
// hand-written source; NewProtoSource compiles it back to the same
// descriptors but for what source text without positions cannot carry:
// source information, empty options messages, and the order of nested
// messages among the map entries the compiler makes for map fields.
// Custom options print by name: their definitions are among the files the
// export carries (ExportFiles includes every import).
func PrintProtoFile(w io.Writer, fd protoreflect.FileDescriptor) error {
	var p protoprint.Printer
	if err := p.PrintProtoFile(fd, w); err != nil {
		return fmt.Errorf("export: printing %s: %w", fd.Path(), err)
	}
	return nil
}

// WriteProtoFiles prints each of files (as ProtoFiles gives them) as .proto
// source through create, which gets the file's slash-separated name (as in
// import statements, e.g. "grpcpulse/test/v1/pulse.proto"; checked by
// CheckProtoPath) and a function writing its content, and stores it. The
// first error stops it.
func WriteProtoFiles(files []protoreflect.FileDescriptor, create func(name string, write func(io.Writer) error) error) error {
	for _, fd := range files {
		if err := CheckProtoPath(fd.Path()); err != nil {
			return err
		}
	}
	for _, fd := range files {
		if err := create(fd.Path(), func(w io.Writer) error { return PrintProtoFile(w, fd) }); err != nil {
			return err
		}
	}
	return nil
}
