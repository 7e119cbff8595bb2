package cmd

import (
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
)

func TestPrintMetadataEscapes(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	md := metadata.Pairs("x-evil", "a\x1b[2Jb", "trace-bin", "\x00\x01\xff")
	if err := printMetadata(&b, "Response headers", md); err != nil {
		t.Fatal(err)
	}
	want := "Response headers:\n  trace-bin: AAH/\n  x-evil: a\\x1b[2Jb\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
