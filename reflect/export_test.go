package reflect

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/reflection"

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
	if got, err := back.ListServices(); err != nil || !slices.Contains(got, string(sd.FullName())) {
		t.Errorf("ListServices of the export = %q, %v; want it to hold %s", got, err, sd.FullName())
	}
}

func testExportProtoFiles(t *testing.T, files []protoreflect.FileDescriptor, sd protoreflect.ServiceDescriptor) {
	dir := t.TempDir()
	printed := ProtoFiles(files)
	if len(printed) != 2 {
		t.Fatalf("ProtoFiles kept %d files, want 2 (duration.proto needs no file)", len(printed))
	}
	err := WriteProtoFiles(printed, createIn(dir))
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
	// Printed source loses what normalizePrinted drops, nothing else.
	compareFiles(t, back, files, true)
}

// normalizePrinted drops from fdp what .proto source cannot carry without
// source information: source positions and comments, empty options
// messages (options {} prints as nothing), and the order of nested
// messages, which the compiler interleaves with the map entries it makes
// for map fields in declaration order.
func normalizePrinted(fdp *descriptorpb.FileDescriptorProto) {
	fdp.SourceCodeInfo = nil
	dropEmptyOptions(fdp.ProtoReflect())
	var sortNested func(mds []*descriptorpb.DescriptorProto)
	sortNested = func(mds []*descriptorpb.DescriptorProto) {
		slices.SortFunc(mds, func(a, b *descriptorpb.DescriptorProto) int { return strings.Compare(a.GetName(), b.GetName()) })
		for _, md := range mds {
			sortNested(md.NestedType)
		}
	}
	for _, md := range fdp.MessageType {
		sortNested(md.NestedType)
	}
}

// dropEmptyOptions clears every empty *Options message inside m.
func dropEmptyOptions(m protoreflect.Message) {
	var empty []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Message() == nil || fd.IsMap():
		case fd.IsList():
			for i := range v.List().Len() {
				dropEmptyOptions(v.List().Get(i).Message())
			}
		case strings.HasSuffix(string(fd.Message().Name()), "Options") && proto.Size(v.Message().Interface()) == 0:
			empty = append(empty, fd)
		default:
			dropEmptyOptions(v.Message())
		}
		return true
	})
	for _, fd := range empty {
		m.Clear(fd)
	}
}

// createIn stores the files WriteProtoFiles prints under dir.
func createIn(dir string) func(string, func(io.Writer) error) error {
	return func(name string, write func(io.Writer) error) error {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			return err
		}
		return os.WriteFile(path, buf.Bytes(), 0o600)
	}
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
		case fd.Extensions().Len() > 0:
			firstName = fd.Extensions().Get(0).FullName()
		default:
			t.Fatalf("%s declares no message, service or extension", fd.Path())
		}
		d, err := back.FindSymbol(string(firstName))
		if err != nil {
			t.Errorf("the export lost %s: %v", firstName, err)
			continue
		}
		got, wantProto := fileProto(d.ParentFile()), fileProto(fd)
		if noSource {
			normalizePrinted(got)
			normalizePrinted(wantProto)
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

// TestExportInterop exports grpc-go's interop TestService (descriptors we
// did not write, over several files) through a real reflection server and
// loads both forms back unchanged.
func TestExportInterop(t *testing.T) {
	t.Parallel()
	s := grpc.NewServer()
	testgrpc.RegisterTestServiceServer(s, interop.NewTestServer())
	reflection.Register(s)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	src := NewServerSource(ctx, conn, 5*time.Second)
	defer src.Close()

	sd, err := FindService(src, "grpc.testing.TestService")
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
	want := []string{"grpc/testing/empty.proto", "grpc/testing/messages.proto", "grpc/testing/test.proto"}
	if !slices.Equal(names, want) {
		t.Fatalf("ExportFiles = %q, want %q", names, want)
	}
	// What reflection served is what the program compiled in.
	if got, want := fileProto(sd.ParentFile()), protodesc.ToFileDescriptorProto(testgrpc.File_grpc_testing_test_proto); !proto.Equal(got, want) {
		t.Errorf("reflection served a different grpc/testing/test.proto")
	}
	t.Run("protoset", func(t *testing.T) { testExportProtoset(t, files, sd) })
	t.Run("proto files", func(t *testing.T) {
		dir := t.TempDir()
		if err := WriteProtoFiles(ProtoFiles(files), createIn(dir)); err != nil {
			t.Fatalf("WriteProtoFiles: %v", err)
		}
		back, err := NewProtoSource([]string{dir}, "grpc/testing/test.proto")
		if err != nil {
			t.Fatalf("NewProtoSource(exported): %v", err)
		}
		compareFiles(t, back, files, true)
	})
}

// Custom options survive both forms: the printer reads them back from the
// unknown fields they are held in, with the definitions the export carries.
func TestExportCustomOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"acme/opt/v1/opt.proto": `syntax = "proto3";
package acme.opt.v1;
import "google/protobuf/descriptor.proto";
extend google.protobuf.MethodOptions { string route = 50001; }
extend google.protobuf.MessageOptions { int32 level = 50002; }
`,
		"acme/svc/v1/svc.proto": `syntax = "proto3";
package acme.svc.v1;
import "acme/opt/v1/opt.proto";
import "google/protobuf/empty.proto";
// Ping is documented.
message Ping { option (acme.opt.v1.level) = 3; map<string, Ping> next = 1; message Inner { int32 x = 1; } Inner inner = 2; }
service Svc {
  rpc Do(Ping) returns (google.protobuf.Empty) { option (acme.opt.v1.route) = "/do"; option deprecated = true; }
}
`,
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := NewProtoSource([]string{dir}, "acme/svc/v1/svc.proto")
	if err != nil {
		t.Fatal(err)
	}
	sd, err := FindService(src, "acme.svc.v1.Svc")
	if err != nil {
		t.Fatal(err)
	}
	files, err := ExportFiles(sd)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("protoset", func(t *testing.T) { testExportProtoset(t, files, sd) })
	t.Run("proto files", func(t *testing.T) {
		out := t.TempDir()
		if err := WriteProtoFiles(ProtoFiles(files), createIn(out)); err != nil {
			t.Fatalf("WriteProtoFiles: %v", err)
		}
		text, err := os.ReadFile(filepath.Join(out, "acme", "svc", "v1", "svc.proto"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`option (acme.opt.v1.route) = "/do";`, "option (acme.opt.v1.level) = 3;", "// Ping is documented."} {
			if !strings.Contains(string(text), want) {
				t.Errorf("svc.proto =\n%s\nwant it to contain %q", text, want)
			}
		}
		back, err := NewProtoSource([]string{out}, "acme/svc/v1/svc.proto")
		if err != nil {
			t.Fatalf("NewProtoSource(exported): %v", err)
		}
		compareFiles(t, back, files, true)
	})
}
