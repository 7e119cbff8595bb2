package record

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

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

// numSlots is how many seconds of the timeline a shard holds before they
// are folded into Points. Calls go to the second their end falls in; the
// ticker folds second n at n+1 s plus tickGrace, so two seconds are open at
// a time, and the third slot lets the ticker run late by most of a second
// before a worker has to fold the oldest second itself.
const numSlots = 3

// tickGrace is how long after a second ends the ticker waits before it
// folds it: calls that ended in it are recorded a moment later.
const tickGrace = 250 * time.Millisecond

// slot is one second of the timeline not yet folded into a Point.
type slot struct {
	used          bool
	second        int
	hist          *hdrhistogram.Histogram
	count, errors int64
}

// secondOf is the timeline second of a call that ended at end: the second
// its end falls in, or, for a call recorded after its second was folded,
// the first second still open. The caller holds s.mu.
func (s *shard) secondOf(end time.Time) int {
	if !s.begun {
		return s.next
	}
	sec := int(max(end.Sub(s.begin), 0) / time.Second)
	return max(sec, s.next)
}

// slotFor returns the slot of second sec, or nil when it still holds an
// older second, which must be folded first. The caller holds s.mu.
func (s *shard) slotFor(sec int) *slot {
	sl := &s.slots[sec%numSlots]
	switch {
	case !sl.used:
		sl.used, sl.second = true, sec
	case sl.second < sec:
		return nil
	}
	return sl
}

// tickLoop folds each second into the timeline tickGrace after it ends,
// until stop is closed. It reads the clock rather than counting ticks, so a
// late wake-up (a paused client) loses no second: every second up to now
// is folded, empty ones as zero points.
func (r *Recorder) tickLoop(begin time.Time, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		r.tickMu.Lock()
		next := r.next
		r.tickMu.Unlock()
		t.Reset(time.Until(begin.Add(time.Duration(next+1)*time.Second + tickGrace)))
		select {
		case <-stop:
			return
		case <-t.C:
			r.foldBefore(int((time.Since(begin)-tickGrace)/time.Second), 0)
		}
	}
}

// foldBefore folds the seconds before limit into timeline Points (zero
// points for seconds without calls). When width is positive, second
// limit-1 is the last: it takes every call of later seconds too, and is
// width long when that is under a second. Memory per second of run is a
// Point, never a histogram: the shards' slots are merged into one scratch
// histogram and reset.
func (r *Recorder) foldBefore(limit int, width time.Duration) {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	for sec := r.next; sec < limit; sec++ {
		last := width > 0 && sec == limit-1
		p := r.fold(sec, last)
		if last && width < time.Second {
			p.Width = width
		}
		r.mu.Lock()
		r.timeline = append(r.timeline, p)
		length := time.Second
		if p.Width > 0 {
			length = max(p.Width, time.Microsecond)
		}
		r.lastRPS, r.lastP99 = float64(p.Count)/length.Seconds(), p.P99
		r.mu.Unlock()
		r.next = sec + 1
	}
}

// fold takes second sec (and, when last, every later one) out of the
// shards' slots. The caller holds r.tickMu.
func (r *Recorder) fold(sec int, last bool) report.Point {
	h := r.tickHist
	h.Reset()
	p := report.Point{Second: sec}
	for _, s := range r.shards {
		s.mu.Lock()
		for i := range s.slots {
			sl := &s.slots[i]
			if !sl.used || sl.second < sec || (sl.second > sec && !last) {
				continue
			}
			h.Merge(sl.hist)
			p.Count += sl.count
			p.Errors += sl.errors
			sl.hist.Reset()
			sl.used, sl.count, sl.errors = false, 0, 0
		}
		s.next = sec + 1
		s.mu.Unlock()
	}
	if p.Count > 0 {
		p.P50 = time.Duration(h.ValueAtPercentile(50))
		p.P99 = time.Duration(h.ValueAtPercentile(99))
		p.Max = time.Duration(h.Max())
	}
	return p
}

// foldAll folds the rest of the run, which ended at end: every second up
// to the one end falls in, the last one end-begin's fraction of a second
// wide. A run whose length is whole seconds has no partial point.
func (r *Recorder) foldAll(begin, end time.Time) {
	d := max(end.Sub(begin), 0)
	n := int((d + time.Second - 1) / time.Second)
	width := d - time.Duration(n-1)*time.Second
	if n == 0 && r.pending() {
		n, width = 1, time.Millisecond // calls, and a run of no length
	}
	if n > 0 {
		r.foldBefore(n, width)
	}
}

// pending reports whether any shard holds calls not yet folded.
func (r *Recorder) pending() bool {
	for _, s := range r.shards {
		s.mu.Lock()
		for _, sl := range s.slots {
			if sl.used && sl.count > 0 {
				s.mu.Unlock()
				return true
			}
		}
		s.mu.Unlock()
	}
	return false
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
