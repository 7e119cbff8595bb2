package h2

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// testTimeout bounds every test's calls: a hang fails instead of waiting
// for go test's own timeout.
const testTimeout = 20 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// frame is msg marshalled with its gRPC 5-byte prefix.
func frame(t testing.TB, msg proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 5+len(b))
	binary.BigEndian.PutUint32(out[1:], uint32(len(b)))
	copy(out[5:], b)
	return out
}

func decodeResponse(t testing.TB, b []byte) *pulsepb.Response {
	t.Helper()
	var r pulsepb.Response
	if err := proto.Unmarshal(b, &r); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return &r
}

func dial(t testing.TB, cfg Config) *Conn {
	t.Helper()
	c, err := Dial(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func method(t testing.TB, c *Conn, path string, md ...HeaderField) *Method {
	t.Helper()
	m, err := c.Method(path, md)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func md(kv ...string) []HeaderField {
	var out []HeaderField
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func startServer(t testing.TB, opts ...testserver.Option) *testserver.Server {
	return testserver.Start(t, opts...)
}

// openStream starts s as the calls do.
func openStream(c *Conn, s *stream, size uint32, out []byte, end bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.openLocked(s, size, out, end)
}
