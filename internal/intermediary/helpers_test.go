//go:build unix

package intermediary

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// client is a grpc-go client whose connections are recorded.
type client struct {
	cc     *grpc.ClientConn
	pulse  pulsepb.PulseClient
	frames *FrameLog
}

// dial connects to addr (plaintext) through a FrameLog.
func dial(t *testing.T, addr string) *client {
	t.Helper()
	log := &FrameLog{}
	cc, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(log.Dialer()))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { cc.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("frames:\n%s", log)
		}
	})
	return &client{cc: cc, pulse: pulsepb.NewPulseClient(cc), frames: log}
}

// connect makes the client dial without a call and waits until it is READY.
func (c *client) connect(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.cc.Connect()
	for s := c.cc.GetState(); s != connectivity.Ready; s = c.cc.GetState() {
		if !c.cc.WaitForStateChange(ctx, s) {
			t.Fatalf("client not READY within 5s (state %v)", s)
		}
	}
}

// unary makes one Unary call with the given metadata (key, value pairs),
// bounded by timeout, and returns its error and duration.
func (c *client) unary(timeout time.Duration, kv ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	start := time.Now()
	_, err := c.pulse.Unary(ctx, &pulsepb.Request{Message: "hi"})
	return time.Since(start), err
}

// silentBidi opens a Bidi stream, exchanges one message, then waits for the
// next response, which never comes unless the stream is cut. It returns how
// long the stream stayed silent before it ended, and how it ended.
func (c *client) silentBidi(t *testing.T, timeout time.Duration) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.pulse.Bidi(ctx)
	if err != nil {
		t.Fatalf("open Bidi: %v", err)
	}
	if err := st.Send(&pulsepb.Request{Message: "a"}); err != nil {
		t.Fatalf("Bidi send: %v", err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatalf("Bidi first response: %v", err)
	}
	start := time.Now()
	_, err = st.Recv()
	return time.Since(start), err
}

// waitFor polls cond until it holds or d passes, and reports which.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond) // polling frames another goroutine records
	}
	return true
}

// wantStatus fails unless err is a status with code and every substring in
// its message.
func wantStatus(t *testing.T, err error, code codes.Code, subs ...string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Errorf("code = %v, want %v (err: %v)", st.Code(), code, err)
	}
	for _, s := range subs {
		if !strings.Contains(st.Message(), s) {
			t.Errorf("message %q lacks %q", st.Message(), s)
		}
	}
}

// within fails unless lo <= d <= hi.
func within(t *testing.T, what string, d, lo, hi time.Duration) {
	t.Helper()
	if d < lo || d > hi {
		t.Errorf("%s = %v, want between %v and %v", what, d, lo, hi)
	}
}

// header returns the value of name in a HEADERS frame, and whether it is
// there.
func header(f Frame, name string) (string, bool) {
	for _, h := range f.Headers {
		if k, v, _ := strings.Cut(h, ": "); k == name {
			return v, true
		}
	}
	return "", false
}

// responseHeaders returns the HEADERS frames read with a :status.
func responseHeaders(l *FrameLog) []Frame {
	var out []Frame
	for _, f := range l.Find("HEADERS") {
		if _, ok := header(f, ":status"); ok {
			out = append(out, f)
		}
	}
	return out
}

// lastActivity returns the time of the last frame before the connection
// conn's GOAWAY or CLOSE (whichever came first), and that ending frame.
func lastActivity(l *FrameLog, conn int) (time.Duration, Frame) {
	var last time.Duration
	for _, f := range l.Frames() {
		if f.Conn != conn {
			continue
		}
		if !f.Sent && (f.Type == "GOAWAY" || f.Type == "CLOSE") {
			return last, f
		}
		last = f.At
	}
	return last, Frame{}
}

// backend starts a test server for a proxy to forward to.
func backend(t *testing.T, opts ...testserver.Option) *testserver.Server {
	return testserver.Start(t, opts...)
}
