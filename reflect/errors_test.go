package reflect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

func TestServerWithoutReflection(t *testing.T) {
	t.Parallel()
	src := serverSourceFor(t, testserver.WithoutReflection())

	_, err := src.ListServices()
	t.Logf("ListServices error: %v", err)
	if !errors.Is(err, ErrReflectionNotSupported) {
		t.Errorf("ListServices error = %v, want ErrReflectionNotSupported", err)
	}
	if got := status.Code(err); got != codes.Unimplemented {
		t.Errorf("ListServices error code = %v, want Unimplemented", got)
	}
	_, err = FindMethod(src, "grpcpulse.test.v1.Pulse/Unary")
	if !errors.Is(err, ErrReflectionNotSupported) {
		t.Errorf("FindMethod error = %v, want ErrReflectionNotSupported", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("FindMethod error = %v, must not match ErrNotFound", err)
	}
}

func TestServerUnreachable(t *testing.T) {
	t.Parallel()
	addr := testserver.ClosedAddr(t) // nothing listens there, for the whole test
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	src := NewServerSource(ctx, conn, 10*time.Second)
	defer src.Close()

	_, err = src.ListServices()
	t.Logf("ListServices error: %v", err)
	if got := status.Code(err); got != codes.Unavailable {
		t.Errorf("ListServices error = %v (code %v), want Unavailable", err, got)
	}
	if errors.Is(err, ErrReflectionNotSupported) || errors.Is(err, ErrNotFound) {
		t.Errorf("ListServices error = %v matches a sentinel it should not", err)
	}
}

// lineCol matches the file:line:col of a parser error.
var lineCol = regexp.MustCompile(`:\d+:\d+: `)

func TestBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	garbage := write("garbage.protoset", "this is not a protoset\n")
	empty := write("empty.protoset", "")
	write("syntax.proto", "syntax = \"proto3\";\n\nmessage Broken {\n  string name = 1\n}\n")
	write("imports.proto", "syntax = \"proto3\";\n\nimport \"missing/dep.proto\";\n\nmessage M {}\n")
	noDeps := write("nodeps.protoset", string(mustMarshal(t, protosetWithout(t, "pulse/v1/types.proto"))))

	tests := []struct {
		name string
		open func() (Source, error)
		want []string // substrings of the error
		pos  bool     // the error has a line:col
	}{
		{"missing protoset", func() (Source, error) { return NewProtosetSource(filepath.Join(dir, "nope.protoset")) },
			[]string{"protoset " + filepath.Join(dir, "nope.protoset"), "no such file"}, false},
		{"garbage protoset", func() (Source, error) { return NewProtosetSource(garbage) },
			[]string{"protoset " + garbage, "not a FileDescriptorSet"}, false},
		{"empty protoset", func() (Source, error) { return NewProtosetSource(empty) },
			[]string{"protoset " + empty, "not a FileDescriptorSet"}, false},
		{"protoset missing a dependency", func() (Source, error) { return NewProtosetSource(noDeps) },
			[]string{"protoset " + noDeps, "pulse/v1/pulse.proto imports pulse/v1/types.proto"}, false},
		{"no protosets", func() (Source, error) { return NewProtosetSource() }, []string{"no files"}, false},
		{"syntax error", func() (Source, error) { return NewProtoSource([]string{dir}, "syntax.proto") },
			[]string{"syntax.proto:5:1: ", "syntax error"}, true},
		{"missing import", func() (Source, error) { return NewProtoSource([]string{dir}, "imports.proto") },
			[]string{"imports.proto:3:8: ", "missing/dep.proto", "no such file"}, true},
		{"missing proto file", func() (Source, error) { return NewProtoSource([]string{dir}, "nope.proto") },
			[]string{"nope.proto", "no such file"}, false},
		{"missing proto file, no import path", func() (Source, error) { return NewProtoSource(nil, filepath.Join(dir, "nope.proto")) },
			[]string{"nope.proto", "no such file"}, false},
		{"no proto files", func() (Source, error) { return NewProtoSource([]string{dir}) }, []string{"no files"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src, err := tt.open()
			if err == nil {
				src.Close()
				t.Fatal("no error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			t.Logf("error: %v", err)
			if tt.pos && !lineCol.MatchString(err.Error()) {
				t.Errorf("error %q has no line:col", err)
			}
		})
	}
}

// protosetWithout returns the test protoset without the named files.
func protosetWithout(t *testing.T, drop ...string) *descriptorpb.FileDescriptorSet {
	t.Helper()
	data, err := os.ReadFile("../testdata/pulse.protoset")
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	var kept []*descriptorpb.FileDescriptorProto
	for _, f := range set.GetFile() {
		if !slices.Contains(drop, f.GetName()) {
			kept = append(kept, f)
		}
	}
	set.File = kept
	return &set
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A server that accepts the reflection stream and never answers must not hang
// the caller: each look-up is bounded by the source's timeout.
func TestServerReflectionTimeout(t *testing.T) {
	t.Parallel()
	// Without reflection registered, the reflection stream lands here and is
	// accepted but never answered.
	srv := testserver.Start(t, testserver.WithoutReflection(), testserver.WithServerOptions(
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			<-stream.Context().Done()
			return stream.Context().Err()
		})))
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	src := NewServerSource(context.Background(), conn, 200*time.Millisecond)
	defer src.Close()
	if _, err := src.ListServices(); !errors.Is(err, ErrReflectionTimeout) {
		t.Errorf("ListServices error = %v, want ErrReflectionTimeout", err)
	}
	if _, err := FindMethod(src, "grpcpulse.test.v1.Pulse/Unary"); err == nil {
		t.Error("FindMethod succeeded after the stream timed out")
	}
}
