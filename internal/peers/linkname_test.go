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

func init() { keepaliveMinPingTime = time.Millisecond }
