package reflect

import (
	"strings"
	"testing"
)

// Every source describes the same API, so every source gives the same hash;
// another method of another file gives another.
func TestDescriptorHashSameForEverySource(t *testing.T) {
	t.Parallel()
	var hashes []string
	for _, kind := range sourceKinds {
		src := kind.open(t)
		md, err := FindMethod(src, "grpcpulse.test.v1.Pulse/Unary")
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, DescriptorHash(md))
	}
	for i, h := range hashes {
		if !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+64 {
			t.Fatalf("hash %q", h)
		}
		if h != hashes[0] {
			t.Errorf("source %s gives %s, source %s gives %s", sourceKinds[i].name, h, sourceKinds[0].name, hashes[0])
		}
	}
	src, err := NewProtoSource(nil, "testdata/other.proto")
	if err != nil {
		t.Fatal(err)
	}
	md, err := FindMethod(src, "other.Other/Unary")
	if err != nil {
		t.Fatal(err)
	}
	if DescriptorHash(md) == hashes[0] {
		t.Error("a different API hashes the same")
	}
}
