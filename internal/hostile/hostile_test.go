package hostile

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// A call on HeadersOnly gets its headers, then no message until its
// deadline.
func TestHeadersOnly(t *testing.T) {
	t.Parallel()
	s, err := HeadersOnly()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	cc, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/a.B/C")
	if err != nil {
		t.Fatal(err)
	}
	md, err := stream.Header()
	if err != nil || md == nil {
		t.Fatalf("headers: %v %v", md, err)
	}
	got := make(chan error, 1)
	go func() { got <- stream.RecvMsg(new(emptypb.Empty)) }()
	s.Stop() // releases the held call: the stream ends without a message
	if err := <-got; err == nil {
		t.Error("a message arrived from a server that sends none")
	}
}
