package reflect

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A directory given as a file is named as one, whatever reads it (it used to
// panic inside the parser).
func TestDirectoryGivenAsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	importer := filepath.Join(dir, "importer.proto")
	if err := os.WriteFile(importer, []byte("syntax = \"proto3\";\nimport \"sub\";\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const wantProto = " is a directory; give .proto files"
	tests := []struct {
		name string
		open func() (Source, error)
		want []string
	}{
		{"proto, no import path", func() (Source, error) { return NewProtoSource(nil, sub) }, []string{sub + wantProto}},
		{"proto, current directory", func() (Source, error) { return NewProtoSource(nil, ".") }, []string{"." + wantProto}},
		{"proto under an import path", func() (Source, error) { return NewProtoSource([]string{dir}, "sub") }, []string{sub + wantProto}},
		{"import of a directory", func() (Source, error) { return NewProtoSource([]string{dir}, "importer.proto") },
			[]string{"importer.proto:2:8: ", sub + wantProto}},
		{"protoset", func() (Source, error) { return NewProtosetSource(sub) },
			[]string{"protoset " + sub + ": " + sub + " is a directory; give a protoset"}},
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
		})
	}
}

// Files are read up to a limit, so that an endless or huge file fails at
// once, naming the file and the limit.
func TestFileSizeLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sparse := func(name string, size int64) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		return path
	}
	bigProto := sparse("big.proto", maxProtoSize+1)
	bigSet := sparse("big.protoset", maxProtosetSize+1)
	protoTooBig := fmt.Sprintf("is larger than %d MiB, the limit for a .proto file", maxProtoSize>>20)
	setTooBig := fmt.Sprintf("is larger than %d MiB, the limit for a protoset", maxProtosetSize>>20)

	tests := []struct {
		name string
		open func() (Source, error)
		want string // substring of the error
	}{
		{"proto over the limit", func() (Source, error) { return NewProtoSource(nil, bigProto) }, bigProto + " " + protoTooBig},
		{"proto over the limit, import path", func() (Source, error) { return NewProtoSource([]string{dir}, "big.proto") }, bigProto + " " + protoTooBig},
		{"protoset over the limit", func() (Source, error) { return NewProtosetSource(bigSet) }, "protoset " + bigSet + ": " + bigSet + " " + setTooBig},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		tests = append(tests,
			struct {
				name string
				open func() (Source, error)
				want string
			}{"proto /dev/zero", func() (Source, error) { return NewProtoSource(nil, "/dev/zero") }, "/dev/zero " + protoTooBig},
			struct {
				name string
				open func() (Source, error)
				want string
			}{"protoset /dev/zero", func() (Source, error) { return NewProtosetSource("/dev/zero") }, "/dev/zero " + setTooBig},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := tt.open()
			if err == nil {
				src.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// The limit is inclusive and holds across the reader's chunks.
func TestReadLimited(t *testing.T) {
	t.Parallel()
	const limit = 200 << 10 // several chunks
	for _, n := range []int{0, 1, 64 << 10, limit - 1, limit, limit + 1, 3 * limit} {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(i)
		}
		got, err := readLimited(strings.NewReader(string(in)), "f", limit, "a thing")
		switch {
		case n > limit && err == nil:
			t.Errorf("%d bytes: no error", n)
		case n > limit && err.Error() != "f is larger than 0 MiB, the limit for a thing":
			t.Errorf("%d bytes: error %q", n, err)
		case n <= limit && err != nil:
			t.Errorf("%d bytes: %v", n, err)
		case n <= limit && !slices.Equal(got, in):
			t.Errorf("%d bytes: read %d bytes, not the input", n, len(got))
		}
	}
}
