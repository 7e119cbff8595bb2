package reflect

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// TestExportContract exports the Pulse service from every kind of source,
// loads what was written back (as a protoset and as .proto files) and
// compares the descriptors with the originals.
func TestExportContract(t *testing.T) {
	t.Parallel()
	for _, kind := range sourceKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			src := kind.open(t)
			sd, err := FindService(src, "grpcpulse.test.v1.Pulse")
			if err != nil {
				t.Fatalf("FindService: %v", err)
			}
			files, err := ExportFiles(sd)
			if err != nil {
				t.Fatalf("ExportFiles: %v", err)
			}
			var names []string
			for _, fd := range files {
				names = append(names, fd.Path())
			}
			main := sd.ParentFile().Path()
			// Dependencies first: duration, then the types, then the service.
			if len(names) != 3 || names[0] != "google/protobuf/duration.proto" || names[2] != main {
				t.Fatalf("ExportFiles = %q, want [google/protobuf/duration.proto <types> %s]", names, main)
			}
			t.Run("protoset", func(t *testing.T) { testExportProtoset(t, files, sd) })
			t.Run("proto files", func(t *testing.T) { testExportProtoFiles(t, files, sd) })
		})
	}
}

func testExportProtoset(t *testing.T, files []protoreflect.FileDescriptor, sd protoreflect.ServiceDescriptor) {
	var buf bytes.Buffer
	if err := WriteProtoset(&buf, files); err != nil {
		t.Fatalf("WriteProtoset: %v", err)
	}
	var again bytes.Buffer
	if err := WriteProtoset(&again, files); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("WriteProtoset is not deterministic (%v)", err)
	}
	path := filepath.Join(t.TempDir(), "out.protoset")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := NewProtosetSource(path)
	if err != nil {
		t.Fatalf("NewProtosetSource(exported): %v", err)
	}
	// Every file, well-known ones included, comes back exactly.
	compareFiles(t, back, files, false)
	if got, err := back.ListServices(); err != nil || !slices.Equal(got, []string{string(sd.FullName())}) {
		t.Errorf("ListServices of the export = %q, %v; want just %s", got, err, sd.FullName())
	}
}

func testExportProtoFiles(t *testing.T, files []protoreflect.FileDescriptor, sd protoreflect.ServiceDescriptor) {
	dir := t.TempDir()
	printed := ProtoFiles(files)
	if len(printed) != 2 {
		t.Fatalf("ProtoFiles kept %d files, want 2 (duration.proto needs no file)", len(printed))
	}
	err := WriteProtoFiles(printed, func(name string, write func(io.Writer) error) error {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			return err
		}
		return os.WriteFile(path, buf.Bytes(), 0o600)
	})
	if err != nil {
		t.Fatalf("WriteProtoFiles: %v", err)
	}
	main := sd.ParentFile().Path()
	text, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(main)))
	if err != nil {
		t.Fatalf("the service's file is not at its name: %v", err)
	}
	if !strings.Contains(string(text), "service Pulse {") {
		t.Errorf("%s =\n%s\nwant it to declare service Pulse", main, text)
	}
	back, err := NewProtoSource([]string{dir}, main)
	if err != nil {
		t.Fatalf("NewProtoSource(exported): %v", err)
	}
	// Printed source loses source positions, nothing else.
	compareFiles(t, back, files, true)
}

// compareFiles checks that back holds each of want with equal
// FileDescriptorProtos (without source information when noSource).
func compareFiles(t *testing.T, back Source, want []protoreflect.FileDescriptor, noSource bool) {
	t.Helper()
	for _, fd := range want {
		var firstName protoreflect.FullName
		switch {
		case fd.Messages().Len() > 0:
			firstName = fd.Messages().Get(0).FullName()
		case fd.Services().Len() > 0:
			firstName = fd.Services().Get(0).FullName()
		default:
			t.Fatalf("%s declares no message or service", fd.Path())
		}
		d, err := back.FindSymbol(string(firstName))
		if err != nil {
			t.Errorf("the export lost %s: %v", firstName, err)
			continue
		}
		got, wantProto := fileProto(d.ParentFile()), fileProto(fd)
		if noSource {
			got.SourceCodeInfo, wantProto.SourceCodeInfo = nil, nil
		}
		if !proto.Equal(got, wantProto) {
			t.Errorf("%s differs after export:\n got %s\nwant %s", fd.Path(), prototext.Format(got), prototext.Format(wantProto))
		}
	}
}

func TestExportFilesOrderAndDedup(t *testing.T) {
	t.Parallel()
	src, err := NewProtoSource([]string{"../testdata/proto"}, "pulse/v1/pulse.proto")
	if err != nil {
		t.Fatal(err)
	}
	var descs []protoreflect.Descriptor
	for _, name := range []string{"grpcpulse.test.v1.Options", "grpcpulse.test.v1.Pulse", "grpcpulse.test.v1.Request", "google.protobuf.Duration"} {
		d, err := src.FindSymbol(name)
		if err != nil {
			t.Fatal(err)
		}
		descs = append(descs, d)
	}
	files, err := ExportFiles(descs...)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fd := range files {
		got = append(got, fd.Path())
	}
	want := []string{"google/protobuf/duration.proto", "pulse/v1/types.proto", "pulse/v1/pulse.proto"}
	if !slices.Equal(got, want) {
		t.Errorf("ExportFiles = %q, want %q", got, want)
	}
	if _, err := ExportFiles(nil); err == nil {
		t.Error("ExportFiles(nil) accepted it")
	}
}

// A file that the source could not resolve an import of cannot be exported.
func TestExportPlaceholderImport(t *testing.T) {
	t.Parallel()
	fdp := &descriptorpb.FileDescriptorProto{
		Name:        proto.String("a.proto"),
		Package:     proto.String("a"),
		Dependency:  []string{"missing/b.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("A")}},
	}
	fd, err := protodesc.FileOptions{AllowUnresolvable: true}.New(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ExportFiles(fd.Messages().Get(0))
	if err == nil || !strings.Contains(err.Error(), "missing/b.proto") {
		t.Errorf("ExportFiles = %v, want an error naming missing/b.proto", err)
	}
}

func TestCheckProtoPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"a.proto", true},
		{"grpcpulse/test/v1/pulse.proto", true},
		{"a/../b.proto", true},
		{"", false},
		{"/etc/passwd", false},
		{"../x.proto", false},
		{"a/../../x.proto", false},
		{`a\b.proto`, false},
		{"a\x00.proto", false},
	}
	for _, tt := range tests {
		err := CheckProtoPath(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("CheckProtoPath(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	// WriteProtoFiles checks every name before it creates anything.
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{Name: proto.String("../evil.proto")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	created := false
	err = WriteProtoFiles([]protoreflect.FileDescriptor{fd}, func(string, func(io.Writer) error) error { created = true; return nil })
	if err == nil || created {
		t.Errorf("WriteProtoFiles(../evil.proto) = %v, created %v; want an error and nothing created", err, created)
	}
}
