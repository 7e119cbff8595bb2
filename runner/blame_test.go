package runner

import (
	"context"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// A call the pacer reaches late is the client's only beyond blameSlack:
// a few milliseconds are what a normal machine's timers do. A backlog
// behind busy workers stays the workers'. The clock is the test's: the
// pacer reads the times it is given, and waits on no timer.
func TestReachBlame(t *testing.T) {
	t.Parallel()
	due := time.Unix(1000, 0)
	for _, tt := range []struct {
		name string
		late time.Duration
		prev blame
		want blame
	}{
		{"on time", 0, blameNone, blameNone},
		{"within a timer's slack", time.Millisecond, blameNone, blameNone},
		{"a few ms late", 5 * time.Millisecond, blameNone, blameNone},
		{"just under the slack", blameSlack - time.Microsecond, blameNone, blameNone},
		{"late beyond the slack", blameSlack, blameNone, blameClient},
		{"a stall", time.Second, blameNone, blameClient},
		{"behind busy workers", 5 * time.Millisecond, blameWorkers, blameWorkers},
		{"far behind busy workers", time.Second, blameWorkers, blameWorkers},
	} {
		t.Run(tt.name, func(t *testing.T) {
			now := due.Add(tt.late)
			s := &run{Runner: &Runner{}, stopCh: make(chan struct{}), clock: func() time.Time { return now }}
			pc := pacing{timer: time.NewTimer(time.Hour), lastOut: now, prev: tt.prev}
			defer pc.timer.Stop()
			tk := ticket{intended: due}
			got, err := s.reach(context.Background(), &pc, due, &tk)
			if err != nil || got != tt.want {
				t.Errorf("reached %s late after a call blamed %d: blame %d, %v; want %d", tt.late, tt.prev, got, err, tt.want)
			}
		})
	}
}

// A call that no worker takes at once is blamed on the workers only when
// every worker is in a call; a free worker that is slow to come to the
// channel makes no late start. The pacer's clock is the test's.
func TestHandOutBlamesWorkersOnlyWhenAllBusy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		free     int64
		waited   time.Duration // how long the hand-out took, by the pacer's clock
		late     bool
		pacerLat int64
	}{
		{"every worker in a call", 0, 50 * time.Millisecond, true, 0},
		{"a worker free, quick to come", 1, time.Millisecond, false, 0},
		{"a worker free, the machine slow to run it", 1, 50 * time.Millisecond, false, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			// The pacer's clock: its 3rd reading is when it has found no
			// worker ready (the non-blocking send failed) and is about to
			// wait; from the 4th on, the wait is over.
			blocking := make(chan struct{})
			var reads int
			s := &run{Runner: &Runner{opts: plan.Options{Load: plan.Load{Total: 1}}}, stopCh: make(chan struct{}),
				clock: func() time.Time {
					reads++
					switch {
					case reads == 3:
						close(blocking)
					case reads > 3:
						return start.Add(tt.waited)
					}
					return start
				}}
			s.free.Store(tt.free)
			tickets := make(chan ticket) // unbuffered, and nobody receives until the pacer waits
			errc := make(chan error, 1)
			go func() {
				errc <- s.paceFrom(context.Background(), plan.ConstantPacer(1), start, time.Time{}, true, tickets)
				close(tickets)
			}()
			<-blocking
			tk := <-tickets
			for range tickets {
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if tk.late != tt.late || s.pacerLate.Load() != tt.pacerLat {
				t.Errorf("late %v, pacer-late %d; want %v, %d", tk.late, s.pacerLate.Load(), tt.late, tt.pacerLat)
			}
		})
	}
}

// With workers always free (a low rate), no call is a late start, run
// after run, and every call handed out late was late beyond blameSlack, and
// says by how much.
func TestLowRateRunsHaveNoLateStarts(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	for range 5 {
		rec, out := runLoad(t, srv, "Unary", "", func(o *plan.Options) {
			o.Load.RPS, o.Load.Duration, o.Load.Concurrency = 20, 200*time.Millisecond, 50
		})
		late := 0
		for _, c := range rec.calls {
			if c.Late {
				late++
			}
		}
		// A busy machine may run the pacer after -z: the calls due by then
		// are unstarted, not made, and none is a late start either.
		if due := int64(len(rec.calls)) + out.Unstarted + out.Aborted; late != 0 || due != 4 {
			t.Errorf("%d of %d calls late starts (%d unstarted, %d aborted) with 50 workers free at 20/s, want 0 of the 4 due",
				late, len(rec.calls), out.Unstarted, out.Aborted)
		}
		if b := out.PacerLateBy; b.Count != out.PacerLate || out.PacerLate > 0 && b.Min < blameSlack {
			t.Errorf("%d pacer-late calls, late by %+v: want each late by %s or more", out.PacerLate, b, blameSlack)
		}
	}
}

// An open-loop run stopped early (Ctrl-C here; the stall watchdog alike)
// counts as unstarted only the calls due before the stop, not every call
// -z or -n would have made: a healthy run stopped at its 20th call of
// 100/s for 8s has handed out, or left unstarted, only the calls due by
// then.
func TestUnstartedOnlyBeforeTheStop(t *testing.T) {
	t.Parallel()
	for _, byCount := range []bool{false, true} {
		t.Run(map[bool]string{false: "-z", true: "-n"}[byCount], func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := testserver.Start(t, testserver.AfterCalls(20, func(*testserver.Server) { cancel() }))
			opts := plan.Options{
				Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
				Load:   plan.Load{Concurrency: 10, Connections: 1, RPS: 100, Duration: 8 * time.Second},
				Call:   plan.Call{Messages: 1},
			}
			if byCount {
				opts.Load.Duration, opts.Load.Total = 0, 800
			}
			md := pulseMethod("Unary")
			reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := New(opts, md, reqs)
			if err != nil {
				t.Fatal(err)
			}
			rec := &tally{}
			out, err := r.Run(ctx, rec)
			if err != nil {
				t.Fatal(err)
			}
			// By the time Run returned, at most this many calls were due.
			dueByEnd := int64(time.Since(rec.begin)/(10*time.Millisecond)) + 1
			total := int64(len(rec.calls)) + out.Aborted + out.Unstarted
			if !out.Interrupted || total < 20 || total > dueByEnd {
				t.Errorf("%d recorded, %d aborted, %d unstarted (interrupted %v); want from 20 to the %d due by the end, not the 800 of the whole run",
					len(rec.calls), out.Aborted, out.Unstarted, out.Interrupted, dueByEnd)
			}
		})
	}
}
