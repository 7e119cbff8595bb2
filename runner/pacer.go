package runner

import (
	"context"
	"errors"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// ticket is one call due in open loop.
type ticket struct {
	intended time.Time
	record   bool
	late     bool
}

// timerSlack is how much later than asked the pacer's timer may wake and
// still have the call count from when it was handed out: Go's timers
// oversleep by up to about a millisecond, and that delay is the tool's, not
// the server's. A longer delay is not forgiven.
const timerSlack = 2 * time.Millisecond

// blameSlack is how late a call may be handed out before the client is
// blamed for it (pacer-late): a normal machine, busy with other work,
// wakes a sleeping goroutine within a few milliseconds, and that is no
// overloaded client. The call still counts from when it was due (beyond
// timerSlack), so its latency holds the delay.
const blameSlack = 10 * time.Millisecond

// errStopped ends pacing when the run stops.
var errStopped = errors.New("stopped")

// pace sends a ticket to a free worker whenever a call is due: during warm-up
// at the schedule's starting rate, then along the schedule from the end of
// warm-up. Due times are absolute, so a late wake-up never lowers the rate.
// A call that was due while every worker was busy counts from when it was
// due (no coordinated omission) and is a late start. The pacer's own delays
// (beyond a timer's slack) count from when the call was due too, but are
// counted apart, as pacer-late.
func (s *run) pace(ctx context.Context, p plan.Pacer, tickets chan<- ticket) {
	defer close(s.paced) // last: everything the pacer writes is written
	defer close(tickets)
	defer s.stop()
	warm := plan.ConstantPacer(p.StartRate())
	if err := s.paceFrom(ctx, warm, time.Time{}, s.measureFrom, false, tickets); err != nil {
		return
	}
	_ = s.paceFrom(ctx, p, s.measureFrom, s.measureTo, true, tickets)
}

// paceFrom issues the calls of p from `from` (zero: now) until `to` (zero: no
// end) or, when recording, until -n calls. It returns errStopped or ctx's
// error when the run stopped first; the recorded calls that were due by
// then but never handed out are counted as unstarted.
//
// Who is to blame for a call handed out late is what the pacer was doing
// when the call was due (pacerHistory): waiting for a free worker makes it a
// late start (ticket.late, as is a call reached on time that finds no worker
// free); being held itself (a timer that overslept, a stalled client
// machine) makes it pacer-late, even when the catch-up burst then finds the
// workers busy; handing out a backlog passes on the blame of the call
// before. So a client stall is the client's, and a rate far above what the
// workers can take (every call due at once) is the workers'.
func (s *run) paceFrom(ctx context.Context, p plan.Pacer, from, to time.Time, record bool, tickets chan<- ticket) error {
	if from.IsZero() {
		from = s.now()
	}
	if !to.IsZero() && !from.Before(to) {
		return nil
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	total := s.opts.Load.Total
	var i int64
	stopped := func(err error) error {
		if record {
			// The calls due by the stop (Ctrl-C, the stall watchdog, -z)
			// never started; those due after it were not due within the
			// run, whatever -z or -n would have made.
			until := s.now()
			if !to.IsZero() && to.Before(until) {
				until = to
			}
			s.unstarted.Add(plan.Unissued(p, i, from, until, total))
			s.unstartedCuts = unstartedCalls{p: p, from: from, first: i, end: plan.DueBefore(p, i, from, until, total)}
		}
		return err
	}
	pc := pacing{timer: timer, lastOut: s.now()}
	for ; !record || total == 0 || i < total; i++ {
		if err := s.halted(ctx); err != nil { // a pacer that never waits for a worker still stops at once
			return stopped(err)
		}
		offset, ok := p.Due(i)
		due := from.Add(offset)
		if !ok || !to.IsZero() && !due.Before(to) {
			if record {
				s.ranOut.Store(true) // no more calls are due within the run
			}
			return nil
		}
		t := ticket{intended: due, record: record}
		b, err := s.reach(ctx, &pc, due, &t)
		if err != nil {
			return stopped(err)
		}
		t.late = b == blameWorkers
		select {
		case tickets <- t:
			s.free.Add(-1) // the pacer counts the taker busy: the worker may not have run yet
			pc.lastOut, pc.prev = s.now(), b
			s.countLate(b, record, due, pc.lastOut)
			continue
		default:
		}
		// No worker took it at once. Only when every worker is in a call
		// are the workers to blame; a free worker not yet back at the
		// channel (one just started, or done and recording) is the
		// machine's to schedule, and late only beyond blameSlack.
		waitFrom := s.now()
		allBusy := s.free.Load() <= 0
		if b == blameNone && allBusy {
			b = blameWorkers
		}
		t.intended, t.late = due, b == blameWorkers
		select {
		case tickets <- t:
			s.free.Add(-1)
		case <-ctx.Done():
			return stopped(ctx.Err())
		case <-s.stopCh:
			return stopped(errStopped)
		}
		pc.lastOut = s.now()
		switch {
		case allBusy:
			pc.hist.add(waitFrom, pc.lastOut, blameWorkers)
		case b == blameNone && pc.lastOut.Sub(due) >= blameSlack:
			b = blameClient // a worker was free, and the machine did not get the call to it in time
			pc.hist.add(waitFrom, pc.lastOut, blameClient)
		}
		pc.prev = b
		s.countLate(b, record, due, pc.lastOut)
	}
	return nil
}

// pacing is the pacer's state from call to call.
type pacing struct {
	timer   *time.Timer
	hist    pacerHistory
	prev    blame     // the blame of the call handed out before
	lastOut time.Time // when the pacer last handed out a call
}

// reach waits until the call due at due is due, and says who is to blame
// if the pacer reached it later than a timer's slack. A call reached on
// time by the timer counts from when the timer fired (t.intended). It
// returns errStopped or ctx's error when the run stopped first.
func (s *run) reach(ctx context.Context, pc *pacing, due time.Time, t *ticket) (blame, error) {
	now := s.now()
	if now.Before(due) {
		pc.timer.Reset(due.Sub(now))
		select {
		case <-pc.timer.C:
		case <-ctx.Done():
			return blameNone, ctx.Err()
		case <-s.stopCh:
			return blameNone, errStopped
		}
		if now = s.now(); now.Sub(due) < timerSlack {
			t.intended = now // the timer's own slack: not the server's
			return blameNone, nil
		}
		if now.Sub(due) < blameSlack {
			return blameNone, nil // late, and counted from when due, but no more than a normal machine's timers
		}
		pc.hist.add(due, now, blameClient) // the timer overslept, or the machine stalled
		return blameClient, nil
	}
	if now.Sub(due) < timerSlack {
		return blameNone, nil
	}
	if now.Sub(pc.lastOut) >= timerSlack {
		pc.hist.add(pc.lastOut, now, blameClient) // held between two calls: the machine stalled
	}
	b := pc.hist.at(due)
	if b == blameNone {
		// Due while the pacer was handing out a backlog: the backlog's
		// cause, or the pacer's own slowness when there was none.
		b = blameClient
		if pc.prev == blameWorkers {
			b = blameWorkers
		}
	}
	if b == blameClient && now.Sub(due) < blameSlack {
		return blameNone, nil
	}
	return b, nil
}

// halted returns ctx's error or errStopped once the run has stopped.
func (s *run) halted(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stopCh:
		return errStopped
	default:
		return nil
	}
}

// countLate counts a recorded call the pacer itself made late, handed
// out at out though due at due.
func (s *run) countLate(b blame, record bool, due, out time.Time) {
	if b == blameClient && record {
		s.pacerLate.Add(1)
		s.pacerLateBy.add(out.Sub(due))
	}
}

// now is the pacer's clock: time.Now, unless a test set clock.
func (s *run) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}
