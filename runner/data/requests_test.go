package data

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

func pulseMethod(name string) protoreflect.MethodDescriptor {
	return pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName(protoreflect.Name(name))
}

// Templated requests are rendered per call, each worker with its own
// number and random source.
func TestRequestsRenderPerCall(t *testing.T) {
	t.Parallel()
	md := pulseMethod("Unary")
	reqs, err := NewRequests(md.Input(), []byte(`{"id": {{.RequestNumber}}, "message": "w{{.WorkerID}}"}`), Templated, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := reqs.ForWorker(7, &RunTemplates{})
	for n := range int64(5) {
		frames, _, err := w.Next(n)
		if err != nil {
			t.Fatal(err)
		}
		var req pulsepb.Request
		if err := proto.Unmarshal(frames[0].data.Materialize(), &req); err != nil {
			t.Fatal(err)
		}
		if req.GetId() != n || req.GetMessage() != "w7" {
			t.Errorf("request %d rendered as %v", n, &req)
		}
	}
}

// FuzzParseMessages: any request data parses into messages of the
// descriptor or is refused, without panicking.
func FuzzParseMessages(f *testing.F) {
	for _, seed := range []string{"", `{"message":"hi","id":"7"}`, "{\"id\":1}\n {\"id\":2}{\"id\":3}\n",
		`{"options":{"priority":"PRIORITY_HIGH","budget":"1.5s","labels":{"a":"b"}},"tags":["x","y"]}`,
		`{"id":"x"}`, "{\"id\":1", `[1]`, `{"options":{"budget":"-315576000001s"}}`, "\xff"} {
		f.Add([]byte(seed))
	}
	md := (&pulsepb.Request{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, err := ParseMessages(md, data, nil)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if m.ProtoReflect().Descriptor() != md {
				t.Fatalf("message of %s", m.ProtoReflect().Descriptor().FullName())
			}
		}
	})
}
