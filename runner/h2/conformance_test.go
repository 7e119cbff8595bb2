package h2

import (
	"context"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// TestConformanceWithGRPCGo makes the same unary calls with this engine
// and with grpc-go's client against the same server, and requires the same
// status code and message, and the same response bytes.
func TestConformanceWithGRPCGo(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	cc, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	tests := []struct {
		name    string
		method  string
		md      []string
		req     *pulsepb.Request
		timeout time.Duration
	}{
		{"ok", pulsepb.Pulse_Unary_FullMethodName, nil, &pulsepb.Request{Message: "same", Id: 42}, 0},
		{"payload", pulsepb.Pulse_Unary_FullMethodName, []string{testserver.MDSize, "100000"}, &pulsepb.Request{}, 0},
		{"not found", pulsepb.Pulse_Unary_FullMethodName, []string{testserver.MDStatus, "NOT_FOUND", testserver.MDStatusMessage, "no such thing"}, &pulsepb.Request{}, 0},
		{"message with percent", pulsepb.Pulse_Unary_FullMethodName, []string{testserver.MDStatus, "INTERNAL", testserver.MDStatusMessage, "100% %zz %41 done"}, &pulsepb.Request{}, 0},
		{"every code", pulsepb.Pulse_Unary_FullMethodName, []string{testserver.MDStatus, "DATA_LOSS"}, &pulsepb.Request{}, 0},
		{"unknown method", "/grpcpulse.test.v1.Pulse/Nope", nil, &pulsepb.Request{}, 0},
		{"unknown service", "/no.Such/Method", nil, &pulsepb.Request{}, 0},
		{"invalid argument", pulsepb.Pulse_Unary_FullMethodName, []string{testserver.MDMessages, "-1"}, &pulsepb.Request{}, 0},
		{"over max receive size", pulsepb.Pulse_Unary_FullMethodName, []string{testserver.MDSize, strconv.Itoa(5 << 20)}, &pulsepb.Request{}, 0},
		{"deadline", pulsepb.Pulse_Unary_FullMethodName, []string{testserver.MDDelay, "10s"}, &pulsepb.Request{}, 30 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := frame(t, tt.req)
			ctx := testCtx(t)
			call := func() context.Context {
				if tt.timeout > 0 {
					ctx, cancel := context.WithTimeout(ctx, tt.timeout)
					t.Cleanup(cancel)
					return ctx
				}
				return ctx
			}
			m := method(t, c, tt.method)
			resp, err := c.Unary(call(), m, req, md(tt.md...))
			defer resp.Release()
			got := status.Convert(err)

			var want []byte
			body := req[5:]
			gerr := cc.Invoke(metadata.AppendToOutgoingContext(call(), tt.md...), tt.method, &body, &want)
			exp := status.Convert(gerr)
			// Which of the two deadline timers fires first (the client's
			// context or the server's grpc-timeout, which resets the
			// stream) decides the message, in either client: compare codes.
			sameMessage := tt.timeout == 0 || got.Message() == exp.Message()
			if got.Code() != exp.Code() || !sameMessage && tt.timeout == 0 {
				t.Fatalf("h2: %v %q\ngrpc-go: %v %q", got.Code(), got.Message(), exp.Code(), exp.Message())
			}
			if string(resp.Payload) != string(want) {
				t.Fatalf("h2 payload %d bytes, grpc-go %d", len(resp.Payload), len(want))
			}
		})
	}
}
