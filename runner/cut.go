package runner

import (
	"math"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// unstartedCalls are the recorded calls first to end-1 of pacer p (counted
// from from) that were due by the time the run stopped starting calls but
// were never handed to a worker.
type unstartedCalls struct {
	p          plan.Pacer
	from       time.Time
	first, end int64
}

// cutCall is a recorded call of a worker that the run cut short.
type cutCall struct {
	intended, end time.Time
}

// deliveringWindow is how recent an aborted stream's last message must be
// for the stream to count as still delivering.
const deliveringWindow = time.Second

// stillDelivering is 1 when the aborted call s was a stream still receiving
// messages when the run cut it: its last message came within
// deliveringWindow of the cut, or after measureTo (the end of -z: it kept
// delivering through the drain). A stream of 100,000 messages the run
// outlived is not a stall. 0 otherwise.
func stillDelivering(s *CallStats, measureTo time.Time) int64 {
	last := s.LastReceived
	if !last.IsZero() && (s.End.Sub(last) < deliveringWindow || !measureTo.IsZero() && last.After(measureTo)) {
		return 1
	}
	return 0
}

// maxCutBatches bounds the batches a schedule's unstarted calls are
// reported in, whatever their number.
const maxCutBatches = 1024

// reportCuts passes rec the calls the run cut: each worker's aborted call,
// and the unstarted calls as cut when the first worker came free after the
// pacer stopped (free is that time; before it no call could have started).
func (s *run) reportCuts(rec CutRecorder, workers []*worker, free time.Time) {
	for _, w := range workers {
		if c := w.cut; !c.end.IsZero() {
			rec.Cut(c.intended, 0, 1, c.end)
		}
	}
	u := s.unstartedCuts
	if u.end <= u.first {
		return
	}
	u.batches(func(first time.Time, every time.Duration, n int64) {
		rec.Cut(first, every, n, free)
	})
}

// batches splits the unstarted calls into at most maxCutBatches runs of
// evenly spaced due times, none earlier than the true ones: one run at a
// constant rate; otherwise equal runs, each spaced by the larger of the
// spacings at its two ends (a step or ramp schedule's spacing only grows or
// only shrinks within a run, so no call is given an earlier due time) and,
// for stages, at the stage boundaries within it (within a stage the spacing
// is monotonic; across a boundary, or a pause, it may peak).
func (u unstartedCalls) batches(emit func(first time.Time, every time.Duration, n int64)) {
	total := u.end - u.first
	at := func(i int64) time.Duration { d, _ := u.p.Due(i); return d }
	if r, ok := u.p.(plan.ConstantPacer); ok {
		every := time.Duration(math.Ceil(float64(time.Second) / float64(r)))
		emit(u.from.Add(at(u.first)), every, total)
		return
	}
	chunks := min(total, maxCutBatches)
	size, extra := total/chunks, total%chunks
	a := u.first
	for c := range chunks {
		n := size
		if c < extra {
			n++
		}
		b := a + n
		var every time.Duration
		if n >= 2 {
			every = max(at(a+1)-at(a), at(b-1)-at(b-2))
			if sp, ok := u.p.(interface {
				WidestAtBounds(a, b int64) time.Duration
			}); ok {
				every = max(every, sp.WidestAtBounds(a, b))
			}
			every++ // +1ns: due times are truncated to the nanosecond
		}
		emit(u.from.Add(at(a)), every, n)
		a = b
	}
}
