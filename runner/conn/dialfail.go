package conn

import (
	"context"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// DialFailure explains why a connection of another client than grpc-go
// (the lean HTTP/2 engine) to t failed with err, as Dial explains its own:
// the cause from the error's words, probing the address when they cannot
// tell a TLS/plaintext mismatch or an HTTP/1 server. timedOut reports that
// the connect timeout ended the attempt. ctx bounds the probe.
func DialFailure(ctx context.Context, t plan.Target, err error, timedOut bool) *DialError {
	if timedOut {
		return classifyTimeout(ctx, t)
	}
	return classifyDial(ctx, t, err)
}
