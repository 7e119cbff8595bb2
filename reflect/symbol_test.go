package reflect

import (
	"errors"
	"slices"
	"testing"
)

func TestFindDescriptor(t *testing.T) {
	t.Parallel()
	src, err := NewProtosetSource("../testdata/pulse.protoset")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, name := range []string{"grpcpulse.test.v1.Request", ".grpcpulse.test.v1.Pulse", "grpcpulse.test.v1.Pulse/Unary", "grpcpulse.test.v1.Pulse.Bidi"} {
		if _, err := FindDescriptor(src, name); err != nil {
			t.Errorf("FindDescriptor(%q): %v", name, err)
		}
	}
	tests := []struct{ typed, want string }{
		{"grpcpulse.test.v1.Reqest", "grpcpulse.test.v1.Request"},
		{"grpcpulse.test.v1.Puls", "grpcpulse.test.v1.Pulse"},
		{"grpcpulse.test.v1.Pulse.Unry", "grpcpulse.test.v1.Pulse/Unary"},
	}
	for _, tt := range tests {
		_, err := FindDescriptor(src, tt.typed)
		var nf *NotFoundError
		if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) || !slices.Contains(nf.Suggestions, tt.want) {
			t.Errorf("FindDescriptor(%q) = %v, want a suggestion of %s", tt.typed, err, tt.want)
		}
	}
	if _, err := FindDescriptor(src, "nothing.like.It"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown name: %v, want ErrNotFound", err)
	}
}
