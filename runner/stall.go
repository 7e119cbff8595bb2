package runner

import (
	"sync/atomic"
	"time"
)

// watchStalls ends the run when calls are in flight and none has started or
// ended, and no stream message has been sent or received, for
// StallTimeout: a server that never answers would otherwise hold a run
// without -z for ever (the drain limit only starts when -z is over). It
// reads each worker's progress counter on a ticker, so the per-call path
// only adds to a counter of its own worker. It returns when done closes,
// or once it has stopped the run (closing stalled).
func (s *run) watchStalls(workers []*worker, done <-chan struct{}, stalled chan<- struct{}) {
	limit := s.opts.Load.StallTimeout
	if limit <= 0 {
		return
	}
	limit += s.opts.Call.StreamInterval // a stream pausing between sends by design is not stalled
	tick := time.NewTicker(max(min(limit/4, time.Second), time.Millisecond))
	defer tick.Stop()
	var last uint64
	since := time.Now() // when progress was last seen (or nothing was in flight)
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		now := time.Now()
		var n uint64
		inFlight := false
		for _, w := range workers {
			n += w.progress.Load()
			inFlight = inFlight || w.busy.Load()
		}
		if n != last || !inFlight {
			last, since = n, now
			continue
		}
		if idle := now.Sub(since); idle >= limit {
			s.stalled.Store(int64(idle))
			s.stop()
			close(stalled)
			return
		}
	}
}

// progressed notes progress of a call: it started or ended, or a stream
// message went or came.
func progressed(p *atomic.Uint64) { p.Add(1) }
