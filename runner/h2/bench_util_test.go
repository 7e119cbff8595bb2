package h2

import (
	"context"
	"runtime"

	"google.golang.org/grpc/metadata"
)

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

func metadataCtx(ctx context.Context, kv ...string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, kv...)
}
