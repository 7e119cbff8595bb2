package h2

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

func TestUnaryOK(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	ctx := testCtx(t)
	for i := range 100 {
		resp, err := c.Unary(ctx, m, frame(t, &pulsepb.Request{Message: "hi", Id: int64(i)}), nil)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		got := decodeResponse(t, resp.Payload)
		if got.GetId() != int64(i) || got.GetMessage() != "hi" {
			t.Fatalf("call %d: got %v", i, got)
		}
		resp.Release()
	}
	if n := srv.Calls("Unary"); n != 100 {
		t.Fatalf("server saw %d calls, want 100", n)
	}
}

func TestUnaryStatus(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	tests := []struct {
		name string
		md   []HeaderField
		code codes.Code
		msg  string
	}{
		{"not found", md(testserver.MDStatus, "NOT_FOUND", testserver.MDStatusMessage, "no such thing"), codes.NotFound, "no such thing"},
		{"percent-encoded", md(testserver.MDStatus, "13", testserver.MDStatusMessage, "100% broken, %zz: done"), codes.Internal, "100% broken, %zz: done"},
		{"default message", md(testserver.MDStatus, "UNAVAILABLE"), codes.Unavailable, "failed as asked by x-pulse-status"},
		{"bad metadata", md(testserver.MDDelay, "soon"), codes.InvalidArgument, `x-pulse-delay: "soon" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{}), tt.md)
			defer resp.Release()
			if resp.Code != tt.code || resp.Message != tt.msg {
				t.Fatalf("got %v %q, want %v %q", resp.Code, resp.Message, tt.code, tt.msg)
			}
			st, _ := status.FromError(err)
			if st.Code() != tt.code || st.Message() != tt.msg {
				t.Fatalf("error %v, want code %v", err, tt.code)
			}
			if resp.Payload != nil {
				t.Fatalf("payload %q on an error", resp.Payload)
			}
		})
	}
}

func TestUnaryMetadataRoundTrip(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr(), Authority: "pulse.example:443", UserAgent: "h2-test"})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName, md("x-const", "a", testserver.MDEchoHeaders, "true")...)
	resp, err := c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{}), md("x-call", "b", "x-bin-bin", "AAEC"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Release()
	got := map[string]string{}
	for _, f := range resp.Header {
		got[f.Name] = f.Value
	}
	for k, want := range map[string]string{"x-const": "a", "x-call": "b", "x-bin-bin": "AAEC",
		testserver.EchoAuthority: "pulse.example:443"} {
		if got[k] != want {
			t.Errorf("header %s = %q, want %q (all: %v)", k, got[k], want, got)
		}
	}
	if !strings.HasPrefix(got[testserver.EchoUserAgent], "h2-test") {
		t.Errorf("user agent %q", got[testserver.EchoUserAgent])
	}
}

func TestUnaryTrailersOnly(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	// An unknown method: grpc-go answers trailers-only UNIMPLEMENTED.
	m := method(t, c, "/grpcpulse.test.v1.Pulse/Nope")
	resp, err := c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{}), nil)
	defer resp.Release()
	if status.Code(err) != codes.Unimplemented || !strings.Contains(resp.Message, "Nope") {
		t.Fatalf("got %v (%q)", err, resp.Message)
	}
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error %T is not a *StatusError", err)
	}
}

func TestUnaryDeadline(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer cancel()
	resp, err := c.Unary(ctx, m, frame(t, &pulsepb.Request{}), md(testserver.MDDelay, "10s"))
	resp.Release()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	// The connection still works afterwards.
	resp, err = c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{}), nil)
	resp.Release()
	if err != nil {
		t.Fatal(err)
	}
}
