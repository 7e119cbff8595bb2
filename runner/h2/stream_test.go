package h2

import (
	"errors"
	"io"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

func TestServerStream(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr(), InitialWindowSize: 64 << 10})
	m := method(t, c, pulsepb.Pulse_ServerStream_FullMethodName)
	const n = 10000
	st, err := c.NewStream(testCtx(t), m, md(testserver.MDMessages, strconv.Itoa(n), testserver.MDSize, "100"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Send(frame(t, &pulsepb.Request{Id: 7})); err != nil {
		t.Fatal(err)
	}
	st.CloseSend()
	for i := 1; ; i++ {
		b, err := st.Recv()
		if errors.Is(err, io.EOF) {
			if i-1 != n {
				t.Fatalf("got %d messages, want %d", i-1, n)
			}
			break
		}
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		r := decodeResponse(t, b)
		if r.GetSeq() != int64(i) || r.GetId() != 7 || len(r.GetPayload()) != 100 {
			t.Fatalf("message %d: %v", i, r)
		}
	}
	if code, _ := st.Status(); code != codes.OK {
		t.Fatalf("status %v", code)
	}
}

func TestServerStreamFailsAfter(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_ServerStream_FullMethodName)
	st, err := c.NewStream(testCtx(t), m, md(testserver.MDMessages, "10", testserver.MDFailAfter, "4", testserver.MDStatus, "ABORTED"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Send(frame(t, &pulsepb.Request{}))
	st.CloseSend()
	got := 0
	for {
		_, err := st.Recv()
		if err != nil {
			if status.Code(err) != codes.Aborted || got != 4 {
				t.Fatalf("after %d messages: %v, want ABORTED after 4", got, err)
			}
			break
		}
		got++
	}
}

func TestClientStream(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_ClientStream_FullMethodName)
	st, err := c.NewStream(testCtx(t), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := frame(t, &pulsepb.Request{Message: "part"})
	for range 1000 {
		if err := st.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	st.CloseSend()
	b, err := st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeResponse(t, b); r.GetReceived() != 1000 {
		t.Fatalf("server received %d, want 1000", r.GetReceived())
	}
	if _, err := st.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the response: %v, want EOF", err)
	}
}

func TestBidiPingPong(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Bidi_FullMethodName)
	st, err := c.NewStream(testCtx(t), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range 500 {
		if err := st.Send(frame(t, &pulsepb.Request{Id: int64(i)})); err != nil {
			t.Fatal(err)
		}
		b, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r := decodeResponse(t, b); r.GetId() != int64(i) {
			t.Fatalf("response %d has id %d", i, r.GetId())
		}
	}
	st.CloseSend()
	if _, err := st.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want EOF", err)
	}
}

// TestBidiPipelined sends from one goroutine while another receives, with
// windows small enough that flow control paces both directions.
func TestBidiPipelined(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr(), InitialWindowSize: 16 << 10, ConnWindowSize: 64 << 10})
	m := method(t, c, pulsepb.Pulse_Bidi_FullMethodName)
	st, err := c.NewStream(testCtx(t), m, md(testserver.MDMessages, "2", testserver.MDSize, "1000"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 5000
	sendErr := make(chan error, 1)
	go func() {
		req := frame(t, &pulsepb.Request{Payload: make([]byte, 500)})
		for range n {
			if err := st.Send(req); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- st.CloseSend()
	}()
	got := 0
	for {
		_, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	if got != 2*n {
		t.Fatalf("got %d responses, want %d", got, 2*n)
	}
}

// TestLargeMessages sends and receives messages of nearly 4 MiB, each
// spanning hundreds of DATA frames and many window updates.
func TestLargeMessages(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr(), InitialWindowSize: 256 << 10, ConnWindowSize: 1 << 20})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	const size = 4<<20 - 64
	req := frame(t, &pulsepb.Request{Payload: make([]byte, size), Message: "big"})
	for range 2 {
		resp, err := c.Unary(testCtx(t), m, req, md(testserver.MDSize, strconv.Itoa(size)))
		if err != nil {
			t.Fatal(err)
		}
		if r := decodeResponse(t, resp.Payload); len(r.GetPayload()) != size || r.GetMessage() != "big" {
			t.Fatalf("got %d payload bytes", len(r.GetPayload()))
		}
		resp.Release()
	}
	// Over MaxRecvMsgSize: RESOURCE_EXHAUSTED, as grpc-go.
	resp, err := c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{}), md(testserver.MDSize, strconv.Itoa(5<<20)))
	resp.Release()
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("got %v, want ResourceExhausted", err)
	}
}
