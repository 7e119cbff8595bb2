package h2_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/runner/h2"
)

// grpcFrame is msg with its gRPC 5-byte prefix, as the runner pre-encodes
// requests.
func grpcFrame(msg proto.Message) []byte {
	b, _ := proto.Marshal(msg)
	out := make([]byte, 5, 5+len(b))
	binary.BigEndian.PutUint32(out[1:], uint32(len(b)))
	return append(out, b...)
}

func Example() {
	srv, err := testserver.New()
	if err != nil {
		panic(err)
	}
	defer srv.Stop()
	ctx := context.Background()
	conn, err := h2.Dial(ctx, h2.Config{Addr: srv.Addr(), Events: func(e h2.Event) {}})
	if err != nil {
		panic(err)
	}
	defer conn.Close()

	// Unary: one pre-encoded method, a request frame, per-call metadata.
	unary, _ := conn.Method(pulsepb.Pulse_Unary_FullMethodName, nil)
	resp, err := conn.Unary(ctx, unary, grpcFrame(&pulsepb.Request{Message: "hi"}), nil)
	var out pulsepb.Response
	proto.Unmarshal(resp.Payload, &out)
	resp.Release()
	fmt.Println(err, out.GetMessage())

	// A server stream.
	ss, _ := conn.Method(pulsepb.Pulse_ServerStream_FullMethodName, nil)
	st, _ := conn.NewStream(ctx, ss, []h2.HeaderField{{Name: testserver.MDMessages, Value: "5"}})
	st.Send(grpcFrame(&pulsepb.Request{}))
	st.CloseSend()
	n := 0
	for {
		_, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		n++
	}
	st.Close()
	fmt.Println(n, "messages")
	// Output:
	// <nil> hi
	// 5 messages
}
