package record

import (
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// Progress is the state of a run in progress, for a live progress line.
type Progress struct {
	// Elapsed is the time since Begin (until End, once the run ended).
	Elapsed time.Duration
	// Count and Errors are the calls recorded so far, all outcomes and
	// failed ones.
	Count, Errors int64
	// RPSLastSecond and P99LastSecond are the completion rate and latency p99
	// of the last full second of the timeline.
	RPSLastSecond float64
	P99LastSecond time.Duration
}

// tickLoop takes a timeline point every second until stop is closed.
func (r *Recorder) tickLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			r.tick(now, false)
		}
	}
}

// tick moves the calls recorded since the last tick into a timeline point.
// Memory per second of run is a Point, never a histogram: each shard's
// interval histogram is merged into one scratch histogram and reset.
func (r *Recorder) tick(now time.Time, final bool) {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	h := r.tickHist
	h.Reset()
	var count, errors int64
	for _, s := range r.shards {
		s.mu.Lock()
		h.Merge(s.interval)
		s.interval.Reset()
		count += s.intervalCount
		errors += s.intervalErrors
		s.intervalCount, s.intervalErrors = 0, 0
		s.mu.Unlock()
	}
	p := report.Point{Count: count, Errors: errors}
	if count > 0 {
		p.P50 = time.Duration(h.ValueAtPercentile(50))
		p.P99 = time.Duration(h.ValueAtPercentile(99))
		p.Max = time.Duration(h.Max())
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	// The point's second comes from the clock, not from counting ticks: a
	// ticker drops ticks when its reader is slow. A regular tick at ~n s
	// closes second n-1; the final, partial one is the second it falls in.
	second := int(now.Sub(r.begin) / time.Second)
	if !final {
		second--
	}
	if n := len(r.timeline); n > 0 && second <= r.timeline[n-1].Second {
		second = r.timeline[n-1].Second + 1
	}
	p.Second = max(second, 0)
	r.timeline = append(r.timeline, p)
	if secs := now.Sub(r.lastTick).Seconds(); secs > 0 {
		r.lastRPS = float64(count) / secs
	}
	r.lastP99 = p.P99
	r.lastTick = now
}

// finalTick takes the last, partial, point at the end of the run, unless it
// would be empty and the full seconds already cover the run.
func (r *Recorder) finalTick(end time.Time) {
	var pending int64
	for _, s := range r.shards {
		s.mu.Lock()
		pending += s.intervalCount
		s.mu.Unlock()
	}
	r.mu.Lock()
	empty := pending == 0 && end.Sub(r.begin) <= time.Duration(len(r.timeline))*time.Second
	r.mu.Unlock()
	if !empty {
		r.tick(end, true)
	}
}

// Snapshot returns the progress of the run so far. It is safe for
// concurrent use with recording; before Begin it returns the zero Progress.
func (r *Recorder) Snapshot() Progress {
	r.mu.Lock()
	if !r.begun {
		r.mu.Unlock()
		return Progress{}
	}
	now := r.end
	if !r.ended {
		now = r.now()
	}
	p := Progress{Elapsed: now.Sub(r.begin), RPSLastSecond: r.lastRPS, P99LastSecond: r.lastP99}
	r.mu.Unlock()
	for _, s := range r.shards {
		s.mu.Lock()
		p.Count += s.count
		p.Errors += s.errors
		s.mu.Unlock()
	}
	return p
}
