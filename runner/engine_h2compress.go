package runner

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/h2"
)

// --compress with the h2 engine: its requests say grpc-encoding (the
// Methods' Config.Compression), their messages go compressed, each frame
// compressed once (data.Frame.Packed: once for the run when it is static,
// per call when rendered), the connections decompress the responses, and
// the messages' bytes before and after reach the same PayloadCounter
// grpc-go's stats handler feeds, so the report's compression figures are
// the same for either engine. Without --compress none of it is on the
// call path.

// wire is f as the engine sends it: its wire form, compressed with
// --compress.
func (e *h2Engine) wire(f *data.Frame) ([]byte, error) {
	if e.mcfg.Compression == "" {
		return f.Wire(), nil
	}
	b, err := f.Packed(e.mcfg.Compression, h2.CompressGzip)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "grpc: error while compressing: %v", err)
	}
	return b, nil
}

// counts reports whether the messages of a call starting now are counted:
// with --compress, once warm-up is over (PayloadCounter.From), as grpc-go's
// stats handler counts them.
func (e *h2Engine) counts() bool {
	return e.payloads != nil && e.payloads.Counts(time.Now())
}

// invokeCounted is Invoke for a call whose messages are counted: it reads
// the response for its sizes. The request counts once it may have reached
// the server (not when the call was never processed and goes again).
func (e *h2Engine) invokeCounted(ctx context.Context, c *h2.Conn, hm *h2.Method, req *data.Frame, wire []byte, extra []h2.HeaderField) error {
	resp, err := c.Unary(ctx, hm, wire, extra)
	if err == nil || !errors.Is(err, h2.ErrNotProcessed) {
		e.payloads.AddSent(len(req.Wire())-5, len(wire)-5)
	}
	if err == nil {
		e.payloads.AddReceived(len(resp.Payload), resp.WireSize())
	}
	resp.Release()
	return err
}
