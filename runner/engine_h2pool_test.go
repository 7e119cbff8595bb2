package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/connectivity"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/h2"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// openH2Pool opens pool connection 0 of an h2 engine to srv.
func openH2Pool(t *testing.T, srv *testserver.Server) *h2Pooled {
	t.Helper()
	tg := plan.Target{Addr: srv.Addr(), Plaintext: true,
		Backoff: plan.ConnectBackoff{Base: 10 * time.Millisecond, Max: 10 * time.Millisecond}}
	creds, err := conn.Credentials(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	e := &h2Engine{t: tg, creds: creds, mcfg: h2.Config{Addr: srv.Addr()}, methods: map[methodKey]*h2.Method{}}
	var lastRead, transports atomic.Int64
	p, err := e.open(context.Background(), 0, func(event.Event) {}, &lastRead, &transports)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return p
}

// waitState waits, on the pool's own change signal, for state.
func waitState(p *h2Pooled, state connectivity.State) {
	for {
		p.mu.Lock()
		now, changed := p.state, p.changed
		p.mu.Unlock()
		if now == state {
			return
		}
		<-changed
	}
}

// TestH2PoolWantOnlyWhileIdle: calls that find the pool IDLE ask for a
// connection, and no such request outlives the IDLE it was made in,
// however the calls race the maintainer: a leftover one would make the
// next loss redial at once, with no call wanting a connection.
func TestH2PoolWantOnlyWhileIdle(t *testing.T) {
	t.Parallel()
	p := openH2Pool(t, testserver.Start(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for round := range 200 {
		p.cur.Load().c.Close()
		waitState(p, connectivity.Idle)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := p.conn(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		waitState(p, connectivity.Ready)
		if n := len(p.want); n != 0 {
			t.Fatalf("round %d: a connection request left over while READY", round)
		}
	}
}
