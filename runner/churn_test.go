package runner

import (
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// runChurn runs Unary against srv with engine, -n total, -c workers and
// --reconnect-every every (adjusted by set), keeping the events.
func runChurn(t *testing.T, srv *testserver.Server, engine string, total int64, workers int, every int64, set func(*plan.Options)) (*evTally, Outcome) {
	t.Helper()
	rec := &evTally{}
	return rec, runChurnInto(t, srv, rec, engine, total, workers, every, set)
}

func runChurnInto(t *testing.T, srv *testserver.Server, rec Recorder, engine string, total int64, workers int, every int64, set func(*plan.Options)) Outcome {
	t.Helper()
	return runRecorded(t, testOptions(srv, func(o *plan.Options) {
		o.Target.Engine = engine
		o.Load.Concurrency, o.Load.Total, o.Load.ReconnectEvery = workers, total, every
		if set != nil {
			set(o)
		}
	}), "Unary", `{"message":"hi"}`, rec, nil)
}

// onCall is an evTally that runs f on the worker's goroutine once the nth
// call has been recorded, before the worker's next call.
type onCall struct {
	*evTally
	n    int
	f    func()
	seen atomic.Int64
}

func (r *onCall) Worker(id, conn int) WorkerRecorder {
	return onCallWorker{r.evTally.Worker(id, conn), r}
}

type onCallWorker struct {
	WorkerRecorder
	r *onCall
}

func (w onCallWorker) Call(c *CallStats) {
	w.WorkerRecorder.Call(c)
	if w.r.seen.Add(1) == int64(w.r.n) {
		w.r.f()
	}
}

// -n 100 --reconnect-every 10 -c 1, with either engine: ten connections,
// each dialed within the call that waited for it (its latency includes the
// dial), each reported with its handshake; every call OK.
func TestChurnEveryTen(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			rec, out := runChurn(t, srv, engine, 100, 1, 10, nil)
			if got := rec.codes(); got[0] != 100 || out.Aborted != 0 {
				t.Fatalf("codes %v, %d aborted; want 100 OK", got, out.Aborted)
			}
			if got := srv.Connections(); got != 10 {
				t.Errorf("the server accepted %d connections, want 10", got)
			}
			hs := rec.kind(event.EventHandshake)
			if len(hs) != 10 {
				t.Fatalf("%d handshake events, want 10", len(hs))
			}
			if dials := rec.kind(event.EventDial); len(dials) != 10 {
				t.Errorf("%d dial events, want 10", len(dials))
			}
			// The first connection is dialed before the run; each other one by the
			// call after every tenth, within that call's time.
			rec.mu.Lock()
			calls := rec.calls
			rec.mu.Unlock()
			for i, h := range hs[1:] {
				c := calls[10*(i+1)]
				if h.Took <= 0 || h.Time.Before(c.Start) || h.Time.After(c.End) || c.End.Sub(c.Start) < h.Took {
					t.Errorf("handshake %d (took %s, at %s) is not within call %d (%s to %s)", i+2, h.Took,
						h.Time.Format(time.StampMicro), 10*(i+1), c.Start.Format(time.StampMicro), c.End.Format(time.StampMicro))
				}
			}
			ev := rec.kinds()
			for _, k := range []string{"open", "settings", "state READY"} {
				if ev[k] != 10 {
					t.Errorf("%d %q events, want one per connection: %v", ev[k], k, ev)
				}
			}
			if ev["state SHUTDOWN"] != 0 {
				t.Errorf("a SHUTDOWN state event: the run's own closes are not state changes of the pool connection")
			}
			transports := map[int]bool{}
			for _, e := range rec.kind(event.EventOpen) {
				transports[e.Transport] = true
			}
			if len(transports) != 10 {
				t.Errorf("the opens name %d transports, want 10 numbers: a pool connection numbers its transports across its connections", len(transports))
			}
		})
	}
}

// A connection per call, with four workers sharing it, and with a rate.
func TestChurnPerCallAndRate(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine+"/every 1, -c 4", func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			rec, _ := runChurn(t, srv, engine, 40, 4, 1, nil)
			if got := rec.codes(); got[0] != 40 {
				t.Fatalf("codes %v, want 40 OK", got)
			}
			if got := srv.Connections(); got != 40 {
				t.Errorf("the server accepted %d connections, want 40 (one per call)", got)
			}
			hs := rec.kind(event.EventHandshake)
			if len(hs) != 40 {
				t.Errorf("%d handshake events, want 40", len(hs))
			}
			for i, h := range hs {
				// Dials at once each have their own phases.
				if h.Connect <= 0 || h.HTTP2 <= 0 || h.Connect+h.HTTP2 > h.Took {
					t.Errorf("handshake %d: connect %s, http2 %s of %s", i+1, h.Connect, h.HTTP2, h.Took)
				}
			}
		})
		t.Run(engine+"/every 5, --rps", func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			rec, _ := runChurn(t, srv, engine, 30, 2, 5, func(o *plan.Options) { o.Load.RPS = 1000 })
			if got := rec.codes(); got[0] != 30 {
				t.Fatalf("codes %v, want 30 OK", got)
			}
			if got := srv.Connections(); got != 6 {
				t.Errorf("the server accepted %d connections, want 6", got)
			}
		})
	}
}

// Without --reconnect-every the pool's connections are dialed once, and
// each reports its handshake.
func TestNoChurn(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		srv := testserver.Start(t)
		rec, _ := runChurn(t, srv, engine, 50, 4, 0, func(o *plan.Options) { o.Load.Connections = 2 })
		if got := srv.Connections(); got != 2 {
			t.Errorf("%s: the server accepted %d connections, want 2", engine, got)
		}
		if got := len(rec.kind(event.EventHandshake)); got != 2 {
			t.Errorf("%s: %d handshake events, want 2", engine, got)
		}
	}
}

// A server that goes away: each call after it dials, is refused and fails
// UNAVAILABLE at once (no hang, no call left waiting), and the run ends.
func TestChurnServerGone(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			// Stopped once call 5 is recorded: between calls 5 and 6, with no call in flight.
			rec := &onCall{evTally: &evTally{}, n: 5, f: srv.Stop}
			out := runChurnInto(t, srv, rec, engine, 20, 1, 5, nil)
			if got := rec.codes(); got[codes.OK] != 5 || got[codes.Unavailable] != 15 || out.Aborted != 0 {
				t.Fatalf("codes %v, %d aborted; want 5 OK, then 15 UNAVAILABLE", got, out.Aborted)
			}
			rec.mu.Lock()
			for i, c := range rec.calls[5:] {
				if c.Cause != event.CauseRefused || !strings.Contains(c.Err.Error(), "reconnecting: ") {
					t.Errorf("call %d failed with %q (%s), want a refused reconnect", i+6, c.Err, c.Cause)
				}
			}
			rec.mu.Unlock()
			if n := len(rec.kind(event.EventDial)); n != 16 {
				t.Errorf("%d dials, want 16: one per call once the server was gone", n)
			}
		})
	}
}

// --reconnect-every 1 with four workers, with either engine: each call
// dials its own connection, the four at once (a call does not wait for a
// dial that has no call left for it).
func TestChurnDialsAtOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t)
			// Connection 1 is the pool's; 2 to 5 are the four workers' first
			// new connections, which get no answer until all four are there.
			addr := barrierProxy(t, srv.Addr(), 1, 4)
			rec := &evTally{}
			runRecorded(t, testOptions(srv, func(o *plan.Options) {
				o.Target.Addr, o.Target.Engine = addr, engine
				o.Load.Concurrency, o.Load.Total, o.Load.ReconnectEvery = 4, 20, 1
			}), "Unary", "", rec, nil)
			if got := rec.codes(); got[codes.OK] != 20 {
				t.Fatalf("codes %v, want 20 OK (connections 2 to 5 waited for each other: not dialed at once)", got)
			}
			if got := srv.Connections(); got != 20 {
				t.Errorf("the server accepted %d connections, want 20", got)
			}
		})
	}
}

// barrierProxy forwards the connections it accepts to addr, except that
// it holds connections skip+1 to skip+n until all n have come (10s at
// most: then it drops them), so that their handshakes end only if they
// were dialed at once. It closes its listener and connections when the
// test ends.
func barrierProxy(t *testing.T, addr string, skip, n int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var open []net.Conn
	keep := func(c net.Conn) {
		mu.Lock()
		open = append(open, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
	})
	all := make(chan struct{})
	go func() {
		for k := 1; ; k++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			keep(c)
			if k == skip+n {
				close(all)
			}
			go func() {
				defer c.Close()
				if k > skip && k <= skip+n {
					select {
					case <-all:
					case <-time.After(10 * time.Second):
						return
					}
				}
				s, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				keep(s)
				go func() {
					io.Copy(s, c)
					s.Close()
				}()
				io.Copy(c, s)
			}()
		}
	}()
	return ln.Addr().String()
}
