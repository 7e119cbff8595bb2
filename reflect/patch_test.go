package reflect

import (
	"bytes"
	"os"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// grpcjsFiles returns the files grpc-js's reflection sends for Pulse, as
// sent (testdata/grpcjs_pulse.txtpb), serialized; without drops the file
// of that name.
func grpcjsFiles(t *testing.T, without string) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/grpcjs_pulse.txtpb")
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := prototext.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, fd := range set.File {
		if fd.GetName() == without {
			continue
		}
		raw, err := proto.Marshal(fd)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// build builds raw as a client would: each file against those before it
// and the well-known files.
func build(raw [][]byte) (*protoregistry.Files, error) {
	set := &descriptorpb.FileDescriptorSet{}
	for _, b := range raw {
		fd := new(descriptorpb.FileDescriptorProto)
		if err := proto.Unmarshal(b, fd); err != nil {
			return nil, err
		}
		set.File = append(set.File, fd)
	}
	files := new(protoregistry.Files)
	for i := len(set.File) - 1; i >= 0; i-- { // dependencies come after their users
		f, err := protodesc.NewFile(set.File[i], resolverOf{files})
		if err != nil {
			return nil, err
		}
		if err := files.RegisterFile(f); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// resolverOf finds files in local first, then among the well-known ones.
type resolverOf struct{ local *protoregistry.Files }

func (r resolverOf) FindFileByPath(p string) (protoreflect.FileDescriptor, error) {
	if f, err := r.local.FindFileByPath(p); err == nil {
		return f, nil
	}
	return protoregistry.GlobalFiles.FindFileByPath(p)
}

func (r resolverOf) FindDescriptorByName(n protoreflect.FullName) (protoreflect.Descriptor, error) {
	if d, err := r.local.FindDescriptorByName(n); err == nil {
		return d, nil
	}
	return protoregistry.GlobalFiles.FindDescriptorByName(n)
}

func TestPatchGRPCJSFiles(t *testing.T) {
	raw := grpcjsFiles(t, "")
	if _, err := build(raw); err == nil {
		t.Fatal("grpc-js's files as sent built without patching: the test data no longer shows the fault")
	}
	files, err := build(patchFiles(raw))
	if err != nil {
		t.Fatalf("patched files do not build: %v", err)
	}
	d, err := files.FindDescriptorByName("grpcpulse.test.v1.Options")
	if err != nil {
		t.Fatal(err)
	}
	opts := d.(protoreflect.MessageDescriptor)
	if f := opts.Fields().ByName("labels"); !f.IsMap() || f.MapKey().Kind() != protoreflect.StringKind {
		t.Errorf("labels is not a map<string, string>: %v", f)
	}
	if got := opts.Fields().ByName("budget").Message().FullName(); got != "google.protobuf.Duration" {
		t.Errorf("budget is a %s, want google.protobuf.Duration", got)
	}
	if got := opts.Fields().ByName("priority").Enum().FullName(); got != "grpcpulse.test.v1.Priority" {
		t.Errorf("priority is a %s", got)
	}
	// The patched message reads what the real one writes.
	want := &pulsepb.Options{Labels: map[string]string{"a": "b"}, Priority: pulsepb.Priority_PRIORITY_HIGH}
	b, _ := proto.Marshal(want)
	m := dynamicpb.NewMessage(opts)
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
	if got := m.ProtoReflect().Get(opts.Fields().ByName("labels")).Map().Len(); got != 1 {
		t.Errorf("decoded %d labels, want 1", got)
	}
}

// A file whose well-known type was not sent at all gains the well-known
// file as its dependency.
func TestPatchWellKnownNotSent(t *testing.T) {
	raw := grpcjsFiles(t, "google_protobuf.proto")
	patched := patchFiles(raw)
	fd := new(descriptorpb.FileDescriptorProto)
	if err := proto.Unmarshal(patched[0], fd); err != nil {
		t.Fatal(err)
	}
	if len(fd.Dependency) != 1 || fd.Dependency[0] != "google/protobuf/duration.proto" {
		t.Errorf("dependencies %q, want [google/protobuf/duration.proto]", fd.Dependency)
	}
	if _, err := build(patched); err != nil {
		t.Fatalf("patched files do not build: %v", err)
	}
}

// Well-formed files, as protoc and grpc-go send them, pass byte for byte.
func TestPatchLeavesWellFormedFiles(t *testing.T) {
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(protodesc.ToFileDescriptorProto(pulsepb.File_pulse_v1_pulse_proto))
	if err != nil {
		t.Fatal(err)
	}
	out := patchFiles([][]byte{raw})
	if !bytes.Equal(out[0], raw) {
		t.Error("a well-formed file was rewritten")
	}
}
