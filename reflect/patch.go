package reflect

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"google.golang.org/grpc"
	refv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	refv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// The well-known types a server's files may use without sending them.
	_ "google.golang.org/protobuf/types/known/anypb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/emptypb"
	_ "google.golang.org/protobuf/types/known/fieldmaskpb"
	_ "google.golang.org/protobuf/types/known/structpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)

// patchingConn mends the file descriptors a reflection service sends
// before the client builds them. grpc-js's reflection (@grpc/reflection
// over proto-loader) sends files named after their package
// ("grpcpulse_test_v1.proto") with no dependencies, though their fields
// name types of other files it sends beside them ("google_protobuf.proto")
// or of well-known files it does not send at all: as sent, no descriptor
// can be built ("cannot resolve type"). Each file gains the dependencies
// its references need: a file of the same answer that declares the type,
// else the well-known file (google/protobuf/*.proto) that does.
type patchingConn struct{ grpc.ClientConnInterface }

func (c patchingConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := c.ClientConnInterface.NewStream(ctx, desc, method, opts...)
	if err != nil {
		return nil, err
	}
	return patchingStream{s}, nil
}

type patchingStream struct{ grpc.ClientStream }

func (s patchingStream) RecvMsg(m any) error {
	if err := s.ClientStream.RecvMsg(m); err != nil {
		return err
	}
	switch r := m.(type) {
	case *refv1.ServerReflectionResponse:
		if fr := r.GetFileDescriptorResponse(); fr != nil {
			fr.FileDescriptorProto = patchFiles(fr.FileDescriptorProto)
		}
	case *refv1alpha.ServerReflectionResponse:
		if fr := r.GetFileDescriptorResponse(); fr != nil {
			fr.FileDescriptorProto = patchFiles(fr.FileDescriptorProto)
		}
	}
	return nil
}

// patchFiles returns the serialized files raw with the dependencies their
// type references need added; a file that needs none (every well-formed
// one) is returned byte for byte.
func patchFiles(raw [][]byte) [][]byte {
	files := make([]*descriptorpb.FileDescriptorProto, len(raw))
	declared := map[string]string{} // full name → the file of raw declaring it
	for i, b := range raw {
		fd := new(descriptorpb.FileDescriptorProto)
		if proto.Unmarshal(b, fd) != nil {
			return raw // not ours to judge: the client reports it
		}
		files[i] = fd
		for _, name := range declaredNames(fd) {
			declared[name] = fd.GetName()
		}
	}
	out := raw
	for i, fd := range files {
		added := renameMapEntries(fd.GetPackage(), fd.MessageType)
		for _, ref := range references(fd) {
			dep := dependencyFor(ref, fd.GetPackage(), declared)
			if dep == "" || dep == fd.GetName() || slices.Contains(fd.Dependency, dep) {
				continue
			}
			fd.Dependency, added = append(fd.Dependency, dep), true
		}
		if !added {
			continue
		}
		b, err := proto.Marshal(fd)
		if err != nil {
			continue
		}
		if &out[0] == &raw[0] {
			out = slices.Clone(raw)
		}
		out[i] = b
	}
	return out
}

// renameMapEntries gives the map entry types of ms (nested too) the names
// protoc gives them, the field's name in CamelCase + "Entry", and points
// their fields at the new names; it reports whether it renamed any.
// protobuf.js names them after the field alone ("Labels" for labels), which
// no descriptor builder accepts ("incorrect implicit map entry name").
func renameMapEntries(scope string, ms []*descriptorpb.DescriptorProto) bool {
	renamed := false
	for _, m := range ms {
		name := m.GetName()
		if scope != "" {
			name = scope + "." + name
		}
		for _, f := range m.Field {
			if f.GetLabel() != descriptorpb.FieldDescriptorProto_LABEL_REPEATED || f.GetType() != descriptorpb.FieldDescriptorProto_TYPE_MESSAGE {
				continue
			}
			ref := f.GetTypeName()
			last := ref[strings.LastIndexByte(ref, '.')+1:]
			want := mapEntryName(f.GetName())
			for _, n := range m.NestedType {
				if n.GetName() != last || !n.GetOptions().GetMapEntry() || last == want {
					continue
				}
				n.Name = proto.String(want)
				f.TypeName = proto.String("." + name + "." + want)
				renamed = true
			}
		}
		if renameMapEntries(name, m.NestedType) {
			renamed = true
		}
	}
	return renamed
}

// mapEntryName is the name protoc gives the entry type of map field name.
func mapEntryName(name string) string {
	var b strings.Builder
	upper := true
	for _, c := range name {
		switch {
		case c == '_':
			upper = true
		case upper:
			b.WriteRune(unicode.ToUpper(c))
			upper = false
		default:
			b.WriteRune(c)
		}
	}
	return b.String() + "Entry"
}

// dependencyFor names the file that declares the type ref refers to from
// package pkg (a full ".a.b.C" or relative "b.C" reference, resolved as
// protoc does: from the innermost scope out): a file of the answer, or a
// well-known file; "" when neither does.
func dependencyFor(ref, pkg string, declared map[string]string) string {
	var candidates []string
	if full, ok := strings.CutPrefix(ref, "."); ok {
		candidates = []string{full}
	} else {
		for scope := pkg; scope != ""; {
			candidates = append(candidates, scope+"."+ref)
			i := strings.LastIndexByte(scope, '.')
			if i < 0 {
				break
			}
			scope = scope[:i]
		}
		candidates = append(candidates, ref)
	}
	for _, name := range candidates {
		if file, ok := declared[name]; ok {
			return file
		}
	}
	for _, name := range candidates {
		if !strings.HasPrefix(name, "google.protobuf.") {
			continue
		}
		if d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name)); err == nil {
			return d.ParentFile().Path()
		}
	}
	return ""
}

// declaredNames lists the full names of fd's messages (nested too), enums
// and services.
func declaredNames(fd *descriptorpb.FileDescriptorProto) []string {
	prefix := fd.GetPackage()
	if prefix != "" {
		prefix += "."
	}
	var out []string
	var messages func(scope string, ms []*descriptorpb.DescriptorProto)
	messages = func(scope string, ms []*descriptorpb.DescriptorProto) {
		for _, m := range ms {
			name := scope + m.GetName()
			out = append(out, name)
			for _, e := range m.EnumType {
				out = append(out, name+"."+e.GetName())
			}
			messages(name+".", m.NestedType)
		}
	}
	messages(prefix, fd.MessageType)
	for _, e := range fd.EnumType {
		out = append(out, prefix+e.GetName())
	}
	for _, s := range fd.Service {
		out = append(out, prefix+s.GetName())
	}
	return out
}

// references lists the type names fd's fields, extensions and methods
// refer to, as written.
func references(fd *descriptorpb.FileDescriptorProto) []string {
	var out []string
	fields := func(fs []*descriptorpb.FieldDescriptorProto) {
		for _, f := range fs {
			if f.TypeName != nil {
				out = append(out, f.GetTypeName())
			}
			if f.Extendee != nil {
				out = append(out, f.GetExtendee())
			}
		}
	}
	var messages func(ms []*descriptorpb.DescriptorProto)
	messages = func(ms []*descriptorpb.DescriptorProto) {
		for _, m := range ms {
			fields(m.Field)
			fields(m.Extension)
			messages(m.NestedType)
		}
	}
	messages(fd.MessageType)
	fields(fd.Extension)
	for _, s := range fd.Service {
		for _, m := range s.Method {
			out = append(out, m.GetInputType(), m.GetOutputType())
		}
	}
	return out
}
