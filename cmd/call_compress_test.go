package cmd

import (
	"context"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// encodingLog notes the grpc-encoding of each Pulse call a server receives.
type encodingLog struct {
	mu   sync.Mutex
	seen []string
}

func (e *encodingLog) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (e *encodingLog) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (e *encodingLog) HandleConn(context.Context, stats.ConnStats)                       {}
func (e *encodingLog) HandleRPC(_ context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok && strings.HasPrefix(h.FullMethod, "/grpcpulse.test.v1.Pulse/") {
		e.mu.Lock()
		e.seen = append(e.seen, h.Compression)
		e.mu.Unlock()
	}
}

// call --compress gzip sends its request in gzip (and reads the gzip answer),
// while reflection, on the same connection, stays uncompressed.
func TestCallCompress(t *testing.T) {
	t.Parallel()
	enc := &encodingLog{}
	srv := testserver.Start(t, testserver.WithServerOptions(grpc.StatsHandler(enc)))
	f, out, errOut := testFactory("")
	code := Run(context.Background(), f, []string{"call", "--plaintext", "--compress", "gzip", srv.Addr(),
		"grpcpulse.test.v1.Pulse/Unary", "-d", `{"message":"squeeze me"}`})
	if code != cli.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out.String(), `"message": "squeeze me"`) {
		t.Errorf("stdout:\n%s", out)
	}
	enc.mu.Lock()
	defer enc.mu.Unlock()
	if strings.Join(enc.seen, ",") != "gzip" {
		t.Errorf("the server saw Pulse calls with grpc-encoding %q, want one gzip", enc.seen)
	}
}

// An unknown codec is a usage error naming the ones there are.
func TestCompressUnknown(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"call", "--compress", "zstd", "127.0.0.1:1", "a.B/C"},
		{"run", "--compress", "zstd", "-n", "1", "127.0.0.1:1", "a.B/C"},
	} {
		f, _, errOut := testFactory("")
		if code := Run(context.Background(), f, args); code != cli.ExitUsage {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", args[0], code, cli.ExitUsage, errOut)
		}
		if !strings.Contains(errOut.String(), `--compress "zstd" is not a codec grpcpulse has; use gzip`) {
			t.Errorf("%s: stderr:\n%s", args[0], errOut)
		}
	}
}
