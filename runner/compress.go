package runner

import (
	"context"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // registers "gzip" for --compress (and to read gzip responses)
)

// Compressed returns cc with every call made through it compressed with
// codec (one of plan.Compressors): requests say grpc-encoding codec, and
// the server may answer compressed. Reflection and health calls made on cc
// itself stay uncompressed, so a server without the codec still describes
// itself. codec "" returns cc.
func Compressed(cc grpc.ClientConnInterface, codec string) grpc.ClientConnInterface {
	if codec == "" {
		return cc
	}
	return compressedConn{cc, grpc.UseCompressor(codec)}
}

type compressedConn struct {
	grpc.ClientConnInterface
	opt grpc.CallOption
}

func (c compressedConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return c.ClientConnInterface.Invoke(ctx, method, args, reply, append(opts, c.opt)...)
}

func (c compressedConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.ClientConnInterface.NewStream(ctx, desc, method, append(opts, c.opt)...)
}
