package data

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// Packed packs a frame once and keeps it; a rendered frame, new for each
// call, is packed for its call.
func TestFramePacked(t *testing.T) {
	t.Parallel()
	md := (&pulsepb.Request{}).ProtoReflect().Descriptor()
	var packs atomic.Int64
	pack := func(wire []byte) ([]byte, error) {
		packs.Add(1)
		return append([]byte{1}, wire[1:]...), nil
	}
	static, err := NewRequests(md, []byte(`{"message":"hi"}`), Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	sw := static.ForWorker(0, &RunTemplates{})
	f := sw.Frames()[0]
	for range 3 {
		b, err := f.Packed("x", pack)
		if err != nil || b[0] != 1 || !bytes.Equal(b[1:], f.Wire()[1:]) {
			t.Fatalf("packed %v, %v; want the wire with the flag set", b, err)
		}
	}
	if f.Wire()[0] != 0 {
		t.Error("Packed changed the frame's own wire form")
	}
	if n := packs.Load(); n != 1 {
		t.Errorf("a static frame packed %d times, want once", n)
	}
	tmpl, err := NewRequests(md, []byte(`{"id": {{.RequestNumber}}}`), Templated, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := tmpl.ForWorker(0, &RunTemplates{})
	for n := range int64(3) {
		frames, _, err := w.Next(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := frames[0].Packed("x", pack); err != nil {
			t.Fatal(err)
		}
	}
	if n := packs.Load(); n != 4 {
		t.Errorf("packed %d times for one static frame and three rendered, want 4", n)
	}
	boom := errors.New("boom")
	if _, err := (&Frame{wire: []byte{0, 0, 0, 0, 0}}).Packed("x", func([]byte) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("a failed pack returned %v", err)
	}
}
