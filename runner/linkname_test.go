package runner

import (
	"time"
	_ "unsafe" // go:linkname
)

// keepaliveMinPingTime is grpc-go's 10s floor on the client keepalive
// time, lowered for these tests (as runner/conn's, which has the canary),
// and h2KeepaliveFloor the h2 engine's, so that both engines ping in
// milliseconds here.
//
//go:linkname keepaliveMinPingTime google.golang.org/grpc/internal.KeepaliveMinPingTime
var keepaliveMinPingTime time.Duration

func init() { keepaliveMinPingTime, h2KeepaliveFloor = time.Millisecond, time.Millisecond }
