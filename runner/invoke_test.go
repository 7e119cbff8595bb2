package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func pulseMethod(name string) protoreflect.MethodDescriptor {
	return pulsepb.File_pulse_v1_pulse_proto.Services().ByName("Pulse").Methods().ByName(protoreflect.Name(name))
}

func requests(ids ...int64) []proto.Message {
	var msgs []proto.Message
	for _, id := range ids {
		msgs = append(msgs, &pulsepb.Request{Id: id, Message: "m"})
	}
	return msgs
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]event.Kind{"Unary": event.Unary, "ServerStream": event.ServerStream, "ClientStream": event.ClientStream, "Bidi": event.Bidi} {
		if got := KindOf(pulseMethod(name)); got != want {
			t.Errorf("KindOf(%s) = %s, want %s", name, got, want)
		}
	}
	if got := FullMethod(pulseMethod("Bidi")); got != "/grpcpulse.test.v1.Pulse/Bidi" {
		t.Errorf("FullMethod = %s", got)
	}
}

func TestInvoke(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	cc, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })

	tests := []struct {
		name     string
		method   string
		md       []string
		reqs     []proto.Message
		timeout  time.Duration
		wantSeq  []int64 // seq of each response
		wantRecv int64   // received of the last response
		wantCode codes.Code
	}{
		{name: "unary", method: "Unary", reqs: requests(7), wantSeq: []int64{1}, wantRecv: 1},
		{name: "server stream", method: "ServerStream", md: []string{testserver.MDMessages, "5"}, reqs: requests(1),
			wantSeq: []int64{1, 2, 3, 4, 5}, wantRecv: 1},
		{name: "client stream", method: "ClientStream", reqs: requests(1, 2, 3), wantSeq: []int64{1}, wantRecv: 3},
		{name: "client stream of none", method: "ClientStream", wantSeq: []int64{1}, wantRecv: 0},
		{name: "bidi", method: "Bidi", reqs: requests(1, 2, 3, 4), wantSeq: []int64{1, 2, 3, 4}, wantRecv: 4},
		{name: "unary fails", method: "Unary", md: []string{testserver.MDStatus, "NOT_FOUND"}, reqs: requests(1),
			wantCode: codes.NotFound},
		{name: "server stream fails late", method: "ServerStream", reqs: requests(1),
			md:      []string{testserver.MDStatus, "unavailable", testserver.MDFailAfter, "2"},
			wantSeq: []int64{1, 2}, wantRecv: 1, wantCode: codes.Unavailable},
		{name: "client stream fails early", method: "ClientStream", reqs: requests(1, 2, 3),
			md: []string{testserver.MDStatus, "7"}, wantCode: codes.PermissionDenied},
		{name: "bidi fails late", method: "Bidi", reqs: requests(1, 2, 3),
			md:      []string{testserver.MDStatus, "INTERNAL", testserver.MDFailAfter, "1"},
			wantSeq: []int64{1}, wantRecv: 1, wantCode: codes.Internal},
		{name: "deadline", method: "Unary", reqs: requests(1), md: []string{testserver.MDDelay, "10s"},
			timeout: 50 * time.Millisecond, wantCode: codes.DeadlineExceeded},
		{name: "bad control metadata", method: "Unary", reqs: requests(1), md: []string{testserver.MDDelay, "soon"},
			wantCode: codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := metadata.AppendToOutgoingContext(context.Background(), tt.md...)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			var seqs []int64
			var lastRecv int64
			_, err := Invoke(ctx, cc, pulseMethod(tt.method), tt.reqs, func(m proto.Message) error {
				fields := m.ProtoReflect()
				seqs = append(seqs, fields.Get(fields.Descriptor().Fields().ByName("seq")).Int())
				lastRecv = fields.Get(fields.Descriptor().Fields().ByName("received")).Int()
				return nil
			})
			if got := status.Code(err); got != tt.wantCode {
				t.Fatalf("code = %s (%v), want %s", got, err, tt.wantCode)
			}
			if len(seqs) != len(tt.wantSeq) {
				t.Fatalf("responses seq = %v, want %v", seqs, tt.wantSeq)
			}
			for i := range seqs {
				if seqs[i] != tt.wantSeq[i] {
					t.Fatalf("responses seq = %v, want %v", seqs, tt.wantSeq)
				}
			}
			if len(seqs) > 0 && lastRecv != tt.wantRecv {
				t.Errorf("received = %d, want %d", lastRecv, tt.wantRecv)
			}
		})
	}
}

func TestInvokeHeadersAndCounts(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	cc, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), testserver.MDEchoHeaders, "true", "x-mine", "v")
	for range 3 {
		res, err := Invoke(ctx, cc, pulseMethod("Unary"), requests(1), func(proto.Message) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Header.Get("x-mine"); len(got) != 1 || got[0] != "v" {
			t.Errorf("echoed header x-mine = %v, want [v]", got)
		}
	}
	if got := srv.Calls("Unary"); got != 3 {
		t.Errorf("server counted %d unary calls, want 3", got)
	}
	if _, err := Invoke(ctx, cc, pulseMethod("Unary"), requests(1, 2), nil); err == nil {
		t.Error("a unary call with two requests was accepted")
	}
}

// A stream abandoned partway (the caller stops reading, or cancels) leaves
// no goroutine behind. Not parallel: goleak must see only this test's
// goroutines.
func TestInvokeStopsPartway(t *testing.T) {
	srv := testserver.Start(t)
	cc, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	// Connect first, so that the transport's own goroutines are there before the snapshot.
	if _, err := Invoke(context.Background(), cc, pulseMethod("Unary"), requests(1), func(proto.Message) error { return nil }); err != nil {
		t.Fatal(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	stop := errors.New("seen enough")
	n := 0
	ctx := metadata.AppendToOutgoingContext(context.Background(), testserver.MDMessages, "1000")
	_, err = Invoke(ctx, cc, pulseMethod("ServerStream"), requests(1), func(proto.Message) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("server stream: err = %v, want the callback's error", err)
	}

	// 50ms per response: the call is still going when the caller cancels.
	cctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), testserver.MDDelay, "50ms"))
	defer cancel()
	_, err = Invoke(cctx, cc, pulseMethod("Bidi"), requests(1, 2, 3, 4, 5, 6, 7, 8), func(proto.Message) error {
		cancel()
		return nil
	})
	if status.Code(err) != codes.Canceled {
		t.Errorf("bidi: err = %v, want Canceled", err)
	}
}
