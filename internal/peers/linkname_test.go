//go:build unix

package peers_test

import (
	"time"
	_ "unsafe" // go:linkname
)

// keepaliveMinPingTime is grpc-go's 10s floor on the client keepalive time,
// lowered for these tests only so that ping enforcement happens in
// milliseconds (runner/conn/linkname_test.go has the canary).
//
//go:linkname keepaliveMinPingTime google.golang.org/grpc/internal.KeepaliveMinPingTime
var keepaliveMinPingTime time.Duration

// h2KeepaliveFloor is the same floor of the h2 engine.
//
//go:linkname h2KeepaliveFloor github.com/grpcpulse/grpcpulse/runner.h2KeepaliveFloor
var h2KeepaliveFloor time.Duration

func init() { keepaliveMinPingTime, h2KeepaliveFloor = time.Millisecond, time.Millisecond }
