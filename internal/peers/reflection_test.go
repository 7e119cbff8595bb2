//go:build unix

package peers_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcpulse/grpcpulse/internal/peers"
	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/runner"
)

// grpc-js's reflection sends files no descriptor builder takes as they
// are (no dependencies, relative names, protobuf.js's map entry names):
// list, describe and a call built from what it sent all work.
func TestReflectionGRPCJS(t *testing.T) {
	t.Parallel()
	p := peers.Start(t, peers.GRPCJS, peers.Options{})
	cc, err := grpc.NewClient(p.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src := reflect.NewServerSource(ctx, cc, 10*time.Second)
	defer src.Close()

	services, err := src.ListServices()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(services, "grpcpulse.test.v1.Pulse") {
		t.Fatalf("services %q lack grpcpulse.test.v1.Pulse", services)
	}
	md, err := reflect.FindMethod(src, "grpcpulse.test.v1.Pulse/Unary")
	if err != nil {
		t.Fatal(err)
	}
	text, err := reflect.Describe(md.Input().Fields().ByName("options").Message())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"map<string, string> labels = 3;", ".google.protobuf.Duration budget = 2;"} {
		if !strings.Contains(text, want) {
			t.Errorf("describe lacks %q:\n%s", want, text)
		}
	}

	req := dynamicpb.NewMessage(md.Input())
	if err := protojson.Unmarshal([]byte(`{"message":"hi","options":{"labels":{"a":"b"},"budget":"2s","priority":"PRIORITY_HIGH"}}`), req); err != nil {
		t.Fatal(err)
	}
	var got proto.Message
	if _, err := runner.Invoke(ctx, cc, md, []proto.Message{req}, func(m proto.Message) error { got = m; return nil }); err != nil {
		t.Fatal(err)
	}
	msg := got.ProtoReflect()
	if s := msg.Get(md.Output().Fields().ByName(protoreflect.Name("message"))).String(); s != "hi" {
		t.Errorf("response message %q, want the echo %q", s, "hi")
	}
}
