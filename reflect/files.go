package reflect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// fileSource answers from descriptors loaded once from protosets or .proto
// files. The registry is never written after construction, so the source is
// safe for concurrent use.
type fileSource struct {
	files *protoregistry.Files
	types func() *dynamicpb.Types
}

var _ Source = (*fileSource)(nil)

func newFileSource(files *protoregistry.Files) *fileSource {
	return &fileSource{
		files: files,
		types: sync.OnceValue(func() *dynamicpb.Types { return dynamicpb.NewTypes(files) }),
	}
}

func (s *fileSource) ListServices() ([]string, error) {
	var names []string
	s.files.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			names = append(names, string(f.Services().Get(i).FullName()))
		}
		return true
	})
	slices.Sort(names)
	return names, nil
}

func (s *fileSource) FindSymbol(name string) (protoreflect.Descriptor, error) {
	name = trimName(name)
	if name == "" {
		return nil, errors.New("empty symbol name")
	}
	d, err := s.files.FindDescriptorByName(protoreflect.FullName(name))
	if errors.Is(err, protoregistry.NotFound) {
		return nil, &NotFoundError{Kind: "symbol", Name: name}
	}
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", name, err)
	}
	return d, nil
}

func (s *fileSource) Close() error { return nil }

// NewProtosetSource returns a Source over the files of one or more
// FileDescriptorSet files (as written by protoc --descriptor_set_out
// --include_imports, or buf build -o). The sets are merged; a file that
// several of them hold is taken from the first. Imports of the well-known
// google/protobuf files that no set holds resolve to the copies compiled
// into the program. A protoset may hold at most 64 MiB.
func NewProtosetSource(paths ...string) (Source, error) {
	return NewProtosetSourceContext(context.Background(), paths...)
}

// NewProtosetSourceContext is NewProtosetSource whose reading of the files
// stops when ctx is done (a FIFO without a writer waits for one).
func NewProtosetSourceContext(ctx context.Context, paths ...string) (Source, error) {
	if len(paths) == 0 {
		return nil, errors.New("protoset: no files given")
	}
	var fdps []*descriptorpb.FileDescriptorProto
	origin := map[string]string{} // file name → protoset holding it
	for _, path := range paths {
		set, err := readProtoset(ctx, path)
		if err != nil {
			return nil, err
		}
		for _, fdp := range set.GetFile() {
			if _, ok := origin[fdp.GetName()]; ok {
				continue
			}
			origin[fdp.GetName()] = path
			fdps = append(fdps, fdp)
		}
	}
	files, err := linkProtoset(fdps, origin)
	if err != nil {
		return nil, err
	}
	return newFileSource(files), nil
}

// readProtoset reads and decodes one FileDescriptorSet file.
func readProtoset(ctx context.Context, path string) (*descriptorpb.FileDescriptorSet, error) {
	data, err := readFileLimited(ctx, path, maxProtosetSize, protosetFile)
	if err != nil {
		return nil, fmt.Errorf("protoset %s: %w", path, err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("protoset %s: not a FileDescriptorSet: %w", path, err)
	}
	// Arbitrary bytes sometimes decode without error, as unknown fields.
	switch {
	case len(set.ProtoReflect().GetUnknown()) > 0:
		return nil, fmt.Errorf("protoset %s: not a FileDescriptorSet: unexpected fields", path)
	case len(set.GetFile()) == 0:
		return nil, fmt.Errorf("protoset %s: not a FileDescriptorSet: it holds no files", path)
	}
	for _, fdp := range set.GetFile() {
		if fdp.GetName() == "" {
			return nil, fmt.Errorf("protoset %s: not a FileDescriptorSet: a file has no name", path)
		}
	}
	return &set, nil
}

// linkProtoset builds descriptors for fdps, dependencies first. origin maps
// each file name to the protoset it came from, for error messages.
func linkProtoset(fdps []*descriptorpb.FileDescriptorProto, origin map[string]string) (*protoregistry.Files, error) {
	byName := make(map[string]*descriptorpb.FileDescriptorProto, len(fdps))
	for _, fdp := range fdps {
		byName[fdp.GetName()] = fdp
	}
	files := new(protoregistry.Files)
	var link func(name string, chain []string) error
	link = func(name string, chain []string) error {
		if _, err := files.FindFileByPath(name); err == nil {
			return nil
		}
		fdp, ok := byName[name]
		if !ok {
			importer := chain[len(chain)-1]
			if strings.HasPrefix(name, "google/protobuf/") {
				if wkt, err := protoregistry.GlobalFiles.FindFileByPath(name); err == nil {
					return files.RegisterFile(wkt)
				}
			}
			return fmt.Errorf("protoset %s: %s imports %s, which no protoset holds", origin[importer], importer, name)
		}
		if slices.Contains(chain, name) {
			return fmt.Errorf("protoset %s: import cycle: %s -> %s", origin[name], strings.Join(chain, " -> "), name)
		}
		for _, dep := range fdp.GetDependency() {
			if err := link(dep, append(chain, name)); err != nil {
				return err
			}
		}
		fd, err := protodesc.NewFile(fdp, files)
		if err != nil {
			return fmt.Errorf("protoset %s: %w", origin[name], err)
		}
		if err := files.RegisterFile(fd); err != nil {
			return fmt.Errorf("protoset %s: %s: %w", origin[name], name, err)
		}
		return nil
	}
	for _, fdp := range fdps {
		if err := link(fdp.GetName(), nil); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// NewProtoSource returns a Source over .proto files parsed from source, with
// their comments. Files are named relative to importPaths, as in import
// statements and protoc's -I; the well-known google/protobuf imports need
// no files on disk.
//
// A file given by a path that lies inside an import path is accepted too.
// With no import paths the files are read relative to the current
// directory; a file whose imports do not resolve from there gets the nearest
// enclosing directory from which they do as its import path (so
// "testdata/proto/pulse/v1/pulse.proto", importing "pulse/v1/types.proto",
// just works).
//
// Syntax and link errors name the file, line and column. A .proto file may
// hold at most 16 MiB; a directory given as a file is an error.
func NewProtoSource(importPaths []string, files ...string) (Source, error) {
	return NewProtoSourceContext(context.Background(), importPaths, files...)
}

// NewProtoSourceContext is NewProtoSource whose reading of the files stops
// when ctx is done (a FIFO without a writer waits for one).
func NewProtoSourceContext(ctx context.Context, importPaths []string, files ...string) (Source, error) {
	if len(files) == 0 {
		return nil, errors.New("proto: no files given")
	}
	names, roots := protoNames(ctx, importPaths, files)
	fds, err := compileProtos(ctx, roots, names)
	if err != nil {
		return nil, fmt.Errorf("proto: %w", err)
	}
	reg := new(protoregistry.Files)
	var register func(fd protoreflect.FileDescriptor) error
	register = func(fd protoreflect.FileDescriptor) error {
		if _, err := reg.FindFileByPath(fd.Path()); err == nil {
			return nil
		}
		imports := fd.Imports()
		for i := range imports.Len() {
			if err := register(imports.Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		if err := reg.RegisterFile(fd); err != nil {
			return fmt.Errorf("proto: %s: %w", fd.Path(), err)
		}
		return nil
	}
	for _, fd := range fds {
		if err := register(fd); err != nil {
			return nil, err
		}
	}
	return newFileSource(reg), nil
}
