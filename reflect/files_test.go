package reflect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

func TestProtoSourcePaths(t *testing.T) {
	t.Parallel()
	abs, err := filepath.Abs("../testdata/proto/pulse/v1/pulse.proto")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		importPaths []string
		files       []string
	}{
		{"import path", []string{"../testdata/proto"}, []string{"pulse/v1/pulse.proto"}},
		{"path inside the import path", []string{"../testdata/proto"}, []string{"../testdata/proto/pulse/v1/pulse.proto"}},
		{"no import path, relative to cwd", nil, []string{"../testdata/proto/pulse/v1/pulse.proto"}},
		{"no import path, absolute", nil, []string{abs}},
		{"no import path, only well-known imports", nil, []string{"../testdata/proto/pulse/v1/types.proto"}},
		{"several files", []string{"../testdata/proto"}, []string{"pulse/v1/types.proto", "pulse/v1/pulse.proto"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src, err := NewProtoSource(tt.importPaths, tt.files...)
			if err != nil {
				t.Fatalf("NewProtoSource(%q, %q): %v", tt.importPaths, tt.files, err)
			}
			defer src.Close()
			d, err := src.FindSymbol("grpcpulse.test.v1.Options")
			if err != nil {
				t.Fatalf("FindSymbol: %v", err)
			}
			if got := d.(protoreflect.MessageDescriptor).Fields().ByName("budget").Message().FullName(); got != "google.protobuf.Duration" {
				t.Errorf("Options.budget is a %s", got)
			}
		})
	}
}

func TestDescribeKeepsComments(t *testing.T) {
	t.Parallel()
	src, err := NewProtoSource([]string{"../testdata/proto"}, "pulse/v1/pulse.proto")
	if err != nil {
		t.Fatal(err)
	}
	md, err := FindMethod(src, "grpcpulse.test.v1.Pulse/Bidi")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Describe(md)
	if err != nil {
		t.Fatal(err)
	}
	const want = "// Bidi answers each request with one response.\n" +
		"rpc Bidi ( stream .grpcpulse.test.v1.Request ) returns ( stream .grpcpulse.test.v1.Response );\n"
	if got != want {
		t.Errorf("Describe(Bidi) =\n%s\nwant\n%s", got, want)
	}

	d, err := src.FindSymbol("grpcpulse.test.v1.Priority")
	if err != nil {
		t.Fatal(err)
	}
	got, err = Describe(d)
	if err != nil {
		t.Fatal(err)
	}
	const wantEnum = `// Priority is an enum so that describe has one to show.
enum Priority {
  PRIORITY_UNSPECIFIED = 0;
  PRIORITY_LOW = 1;
  PRIORITY_HIGH = 2;
}
`
	if got != wantEnum {
		t.Errorf("Describe(Priority) =\n%s\nwant\n%s", got, wantEnum)
	}
	if _, err := Describe(nil); err == nil {
		t.Error("Describe(nil): no error")
	}
}

func TestProtosetMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// One protoset without the well-known duration.proto, one with only
	// types.proto: merged, they resolve, duration.proto coming from the
	// copy compiled into the program.
	noWKT := filepath.Join(dir, "pulse.protoset")
	if err := os.WriteFile(noWKT, mustMarshal(t, protosetWithout(t, "google/protobuf/duration.proto", "pulse/v1/types.proto")), 0o600); err != nil {
		t.Fatal(err)
	}
	typesOnly := filepath.Join(dir, "types.protoset")
	if err := os.WriteFile(typesOnly, mustMarshal(t, protosetWithout(t, "google/protobuf/duration.proto", "pulse/v1/pulse.proto")), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := NewProtosetSource(noWKT, typesOnly, "../testdata/pulse.protoset")
	if err != nil {
		t.Fatalf("NewProtosetSource: %v", err)
	}
	defer src.Close()
	if _, err := FindMethod(src, "grpcpulse.test.v1.Pulse/Unary"); err != nil {
		t.Errorf("FindMethod: %v", err)
	}
	d, err := src.FindSymbol("grpcpulse.test.v1.Options")
	if err != nil {
		t.Fatalf("FindSymbol: %v", err)
	}
	if got := d.(protoreflect.MessageDescriptor).Fields().ByName("budget").Message().FullName(); got != "google.protobuf.Duration" {
		t.Errorf("Options.budget is a %s", got)
	}
	services, err := src.ListServices()
	if err != nil || strings.Join(services, ",") != "grpcpulse.test.v1.Pulse" {
		t.Errorf("ListServices = %v, %v; want just the Pulse service once", services, err)
	}
}
