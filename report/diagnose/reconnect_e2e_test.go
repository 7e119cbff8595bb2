package diagnose_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/faultproxy"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
)

// A hard restart (Stop, no GOAWAY), the port refusing for a while, then a
// server on the same address again: the dialer's attempts tell it as one
// story.
func TestDiagnoseHardRestartMeasured(t *testing.T) {
	t.Parallel()
	const down = 300 * time.Millisecond
	restarted := make(chan *testserver.Server, 1)
	srv := testserver.Start(t, testserver.AfterCalls(30, func(s *testserver.Server) {
		addr := s.Addr()
		go func() {
			s.Stop()
			time.AfterFunc(down, func() { // the outage the test measures, not a synchronisation
				s2, err := testserver.New(testserver.WithAddr(addr))
				if err != nil {
					t.Errorf("restart on %s: %v", addr, err)
				}
				restarted <- s2
			})
		}()
	}))
	s := load(t, srv.Addr(), "Unary", "", func(o *plan.Options) {
		o.Load.Duration = 1500 * time.Millisecond
		o.Load.Concurrency = 2
		o.Metadata.Headers = headers(testserver.MDDelay, "5ms")
		o.Target.Backoff = plan.ConnectBackoff{Base: 20 * time.Millisecond, Max: 60 * time.Millisecond, Multiplier: 1.5}
	})
	select {
	case s2 := <-restarted:
		if s2 != nil {
			s2.Stop()
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server was never restarted")
	}
	ds := s.Connectivity.Dials
	if ds == nil || ds.Failed[event.CauseRefused] == 0 || ds.Attempts < 3 || len(ds.Outages) == 0 {
		t.Fatalf("dials %+v, want refused attempts and an outage", ds)
	}
	o := ds.Outages[0]
	// Stop closes with a FIN, or with a RST when requests still sat unread
	// in the server's socket (a race the test does not control).
	if lost := o.Lost; lost != report.ClosePeerEOF && lost != report.ClosePeerReset || o.Cause != event.CauseRefused || o.Failed != ds.Failed[event.CauseRefused] {
		t.Errorf("outage %+v, want peer_eof or peer_reset, then %d refused attempts", o, ds.Failed[event.CauseRefused])
	}
	if o.BackAfter < down || o.BackAfter > down+5*time.Second || o.Waited > 2*time.Second || o.Failing > o.BackAfter {
		t.Errorf("outage %+v: back after should be over %s, the wait at most a backoff", o, down)
	}
	if ds.BackoffWaited == nil || ds.BackoffWaited.Count != 1 {
		t.Errorf("backoff waited %+v, want one", ds.BackoffWaited)
	}
	f := finding(t, s, "peer_closed_without_goaway")
	checkSays(t, f, "down and back", "closed "+o.Lost, "refused", "back after")
	t.Logf("%s\n%v", f.Title, f.Evidence)
}

// A blackhole of about a second that the connection survives (no
// keepalive): calls time out on the READY connection, then the traffic
// flows again. The silence and what ended it are named.
func TestDiagnoseBlackholeSurvived(t *testing.T) {
	t.Parallel()
	const hole = time.Second
	var proxy atomic.Pointer[faultproxy.Proxy]
	srv := testserver.Start(t, testserver.AfterCalls(20, func(*testserver.Server) {
		p := proxy.Load()
		p.SetMode(faultproxy.Blackhole)
		time.AfterFunc(hole, func() { p.SetMode(faultproxy.Pass) }) // the blackhole's length, not a synchronisation
	}))
	p := faultproxy.Start(t, srv.Addr())
	proxy.Store(p)
	s := load(t, p.Addr(), "Unary", "", func(o *plan.Options) {
		o.Load.Duration = 2500 * time.Millisecond
		o.Load.Concurrency = 2
		o.Call.Timeout = 200 * time.Millisecond
	})
	f := finding(t, s, "blackhole_survived")
	var w report.SilentWindow
	for _, c := range s.Connections {
		for _, x := range c.SilentWindows {
			if x.Silence > w.Silence {
				w = x
			}
		}
	}
	if w.EndedBy == report.SilenceRunEnd || w.Silence < hole/2 || w.Silence > hole+3*time.Second || w.Calls < 2 {
		t.Errorf("silent window %+v, want about %s ended before the run", w, hole)
	}
	checkSays(t, f, "went silent", "keepalive", "--timeout")
	t.Logf("%s\n%v\nwindow %+v", f.Title, f.Evidence, w)
}

// The same silence with keepalive on (timers shortened for the test):
// keepalive ends it, and the finding says so.
func TestDiagnoseBlackholeEndedByKeepalive(t *testing.T) {
	t.Parallel()
	var proxy atomic.Pointer[faultproxy.Proxy]
	srv := testserver.Start(t, testserver.AfterCalls(20, func(*testserver.Server) { proxy.Load().SetMode(faultproxy.Blackhole) }))
	p := faultproxy.Start(t, srv.Addr())
	proxy.Store(p)
	s := load(t, p.Addr(), "Unary", "", func(o *plan.Options) {
		o.Load.Duration = 1200 * time.Millisecond
		o.Load.Concurrency = 2
		o.Call.Timeout = 100 * time.Millisecond
		o.Target.Keepalive = plan.Keepalive{Time: 100 * time.Millisecond, Timeout: 300 * time.Millisecond}
	})
	f := finding(t, s, "blackhole_survived")
	checkSays(t, f, "ended by client_ping_unanswered", "a keepalive timeout closed the connection")
	if d := s.Connectivity.DeadPeerDetection; d == nil || d.Min < 200*time.Millisecond || d.Max > 5*time.Second {
		t.Errorf("dead peer detection %+v, want about time + timeout (400ms)", d)
	}
	finding(t, s, "keepalive_dead_peer")
	t.Logf("%s\n%v", f.Title, f.Evidence)
}
