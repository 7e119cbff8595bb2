package conn

import (
	"testing"
	"time"
	_ "unsafe" // go:linkname
)

// keepaliveMinPingTime is grpc-go's floor for the client keepalive time
// (10s). grpc-go's own tests lower it to provoke too_many_pings and keepalive
// timeouts in milliseconds; so do ours. Test-only: the binary keeps the floor.
//
//go:linkname keepaliveMinPingTime google.golang.org/grpc/internal.KeepaliveMinPingTime
var keepaliveMinPingTime time.Duration

func init() { keepaliveMinPingTime = time.Millisecond }

// If grpc-go renames the variable, the linkname silently binds nothing and
// the keepalive tests would hang or pass for the wrong reason: fail loudly.
func TestKeepaliveFloorLowered(t *testing.T) {
	if keepaliveMinPingTime != time.Millisecond {
		t.Fatalf("grpc-go's internal.KeepaliveMinPingTime is %s: the linkname no longer reaches it", keepaliveMinPingTime)
	}
}
