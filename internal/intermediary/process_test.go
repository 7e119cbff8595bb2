//go:build unix

package intermediary

import (
	"errors"
	"net"
	"os"
	"testing"
)

// A port another process took before the proxy could bind it is not the
// proxy's: waitReady says so (and the Start functions try another port),
// rather than let a test talk to whatever answers there.
func TestWaitReadyRefusesAnotherListener(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp to tell listeners apart")
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0") // the other process's listener
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	p, err := start("sleep", "30") // a proxy that never binds
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	if err := p.waitReady(lis.Addr().String()); !errors.Is(err, errPortTaken) || !addrInUse(err.Error()) {
		t.Fatalf("waitReady = %v, want errPortTaken", err)
	}
}
