package testserver

import (
	"context"
	"crypto/tls"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

func dial(t *testing.T, addr string, cfg *tls.Config) pulsepb.PulseClient {
	t.Helper()
	creds := insecure.NewCredentials()
	if cfg != nil {
		creds = credentials.NewTLS(cfg)
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return pulsepb.NewPulseClient(cc)
}

func ctxWith(t *testing.T, kv ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

func TestServerStreamBehaviour(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	c := dial(t, srv.Addr(), nil)
	stream, err := c.ServerStream(ctxWith(t, MDMessages, "4", MDSize, "10"), &pulsepb.Request{Message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	for seq := int64(1); ; seq++ {
		resp, err := stream.Recv()
		if seq == 5 {
			if err == nil {
				t.Fatalf("a 5th response came")
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetSeq() != seq || len(resp.GetPayload()) != 10 || resp.GetMessage() != "m" {
			t.Fatalf("response %d = %v", seq, resp)
		}
	}
	if got := srv.Calls("ServerStream"); got != 1 {
		t.Errorf("Calls = %d", got)
	}
}

func TestStatusMessage(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	c := dial(t, srv.Addr(), nil)
	_, err := c.Unary(ctxWith(t, MDStatus, "failed_precondition", MDStatusMessage, "not yet"), &pulsepb.Request{})
	if st := status.Convert(err); st.Code() != codes.FailedPrecondition || st.Message() != "not yet" {
		t.Errorf("status = %v", st)
	}
	_, err = c.Unary(ctxWith(t, MDStatus, "OK"), &pulsepb.Request{})
	if err != nil {
		t.Errorf("x-pulse-status OK failed: %v", err)
	}
	for _, kv := range [][]string{{MDMessages, "-1"}, {MDSize, "67108865"}, {MDStatus, "-1"}, {MDStatus, "17"}, {MDStatus, "NOPE"}, {MDDelay, "-1s"}} {
		_, err = c.Unary(ctxWith(t, kv...), &pulsepb.Request{})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %s accepted: %v", kv[0], kv[1], err)
		}
	}
}

func TestTLSAndHealth(t *testing.T) {
	t.Parallel()
	certs, err := GenerateCerts()
	if err != nil {
		t.Fatal(err)
	}
	srv := Start(t, WithTLS(certs, true))
	cfg, err := srv.ClientTLS()
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	resp, err := healthpb.NewHealthClient(cc).Check(ctxWith(t), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health over mTLS: %v, %v", resp, err)
	}
	if _, err := Start(t).ClientTLS(); err == nil {
		t.Error("ClientTLS of a plaintext server succeeded")
	}
}

func TestStopTwiceAndGraceful(t *testing.T) {
	t.Parallel()
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	srv.GracefulStop()
	srv.Stop()
	if err := srv.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
	if _, err := New(WithAddr("256.0.0.1:0")); err == nil {
		t.Error("listening on a bad address succeeded")
	}
}

func TestCallHookAndEcho(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := Start(t, WithCallHook(func(method string, md metadata.MD) {
		if v := md.Get("x-seen"); len(v) == 1 {
			got <- method + " " + v[0]
		}
	}))
	c := dial(t, srv.Addr(), nil)
	var header metadata.MD
	if _, err := c.Unary(ctxWith(t, "x-seen", "yes", MDEchoHeaders, "true"), &pulsepb.Request{}, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h != "/grpcpulse.test.v1.Pulse/Unary yes" {
		t.Errorf("hook saw %q", h)
	}
	if v := header.Get("x-seen"); len(v) != 1 || v[0] != "yes" {
		t.Errorf("echoed x-seen = %v", v)
	}
	if v := header.Get(EchoAuthority); len(v) != 1 || v[0] != srv.Addr() {
		t.Errorf("echoed authority = %v, want %s", v, srv.Addr())
	}
	if v := header.Get(EchoUserAgent); len(v) != 1 || !strings.Contains(v[0], "grpc-go/") {
		t.Errorf("echoed user agent = %v", v)
	}
}

// AfterCalls runs once, at the nth Pulse call, before its handler: a Pause
// there holds that very call. Health and reflection calls are not counted.
func TestAfterCalls(t *testing.T) {
	t.Parallel()
	var ran atomic.Int64
	srv := Start(t, AfterCalls(3, func(s *Server) { ran.Add(1); s.Pause() }))
	c := dial(t, srv.Addr(), nil)
	for range 2 {
		if _, err := c.Unary(ctxWith(t), &pulsepb.Request{}); err != nil {
			t.Fatal(err)
		}
	}
	cc, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := healthpb.NewHealthClient(cc).Check(ctxWith(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 0 {
		t.Fatal("ran before the third Pulse call")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Unary(ctx, &pulsepb.Request{}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("the third call = %v, want it held by the Pause until its deadline", err)
	}
	srv.Resume()
	if _, err := c.Unary(ctxWith(t), &pulsepb.Request{}); err != nil || ran.Load() != 1 {
		t.Errorf("fourth call: %v; AfterCalls ran %d times, want once", err, ran.Load())
	}
}
