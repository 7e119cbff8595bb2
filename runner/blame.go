package runner

import "time"

// blame is who made an open-loop call start late.
type blame uint8

const (
	blameNone    blame = iota // on time (within a timer's slack)
	blameWorkers              // no free worker: a late start (CallStats.Late)
	blameClient               // the tool itself: pacer-late (Outcome.PacerLate)
)

// pacerHistory remembers, for the calls the pacer has yet to hand out, the
// spans in which it waited for a free worker (blameWorkers) or was itself
// held (blameClient: a timer that overslept, a stalled machine). A call
// handed out late is blamed on what the pacer was doing when the call was
// due. Spans of one kind less than a timer's slack apart are merged, and at
// most maxPacerHistory are kept, so an absurd rate (every call due at the
// start, one long wait for workers) keeps one span, not one per call.
type pacerHistory struct {
	spans []pacerSpan
	head  int
}

type pacerSpan struct {
	from, to time.Time
	kind     blame
}

const maxPacerHistory = 1024

// add notes that from to to was spent as kind says.
func (h *pacerHistory) add(from, to time.Time, kind blame) {
	if n := len(h.spans); n > h.head {
		if last := &h.spans[n-1]; last.kind == kind && from.Sub(last.to) < timerSlack {
			if to.After(last.to) {
				last.to = to
			}
			return
		}
	}
	if len(h.spans)-h.head >= maxPacerHistory {
		h.head++ // the oldest span's calls are long gone
	}
	if h.head > maxPacerHistory {
		h.spans, h.head = append(h.spans[:0], h.spans[h.head:]...), 0
	}
	h.spans = append(h.spans, pacerSpan{from, to, kind})
}

// at returns what the pacer was doing at due (blameNone: handing out calls),
// forgetting the spans that ended by then: due only grows from call to call.
func (h *pacerHistory) at(due time.Time) blame {
	for h.head < len(h.spans) && !h.spans[h.head].to.After(due) {
		h.head++
	}
	if h.head == len(h.spans) {
		h.spans, h.head = h.spans[:0], 0
		return blameNone
	}
	if s := h.spans[h.head]; !due.Before(s.from) {
		return s.kind
	}
	return blameNone
}
