package intermediary

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// client is a grpc-go client whose connections are recorded.
type client struct {
	pulse  pulsepb.PulseClient
	frames *FrameLog
}

// dial connects to addr (plaintext) through a FrameLog.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *client {
	t.Helper()
	log := &FrameLog{}
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(log.Dialer()),
	}, opts...)
	cc, err := grpc.NewClient("passthrough:///"+addr, opts...)
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { cc.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("frames:\n%s", log)
		}
	})
	return &client{pulse: pulsepb.NewPulseClient(cc), frames: log}
}

// unary makes one Unary call with the given x-pulse metadata (key, value
// pairs), bounded by timeout, and returns its error and duration.
func (c *client) unary(timeout time.Duration, kv ...string) (error, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	start := time.Now()
	_, err := c.pulse.Unary(ctx, &pulsepb.Request{Message: "hi"})
	return err, time.Since(start)
}

// backend starts a test server for a proxy to forward to.
func backend(t *testing.T, opts ...testserver.Option) *testserver.Server {
	return testserver.Start(t, opts...)
}
