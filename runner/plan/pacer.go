package plan

import (
	"math"
	"time"
)

// Unissued counts the calls of p from i on that were due before to (or,
// without an end time, up to total) and were never handed out.
func Unissued(p Pacer, i int64, from, to time.Time, total int64) int64 {
	if to.IsZero() {
		return max(total-i, 0)
	}
	return DueBefore(p, i, from, to, total) - i
}

// DueBefore returns the first call number j >= i that is not due before
// until (from the schedule's start from), or that never comes (-n reached,
// total > 0; or a pacer with no call j): calls i to j-1 are the ones due
// before until. Due times never decrease with the call number, so it
// searches, in O(log j) steps of p.due, not one step per call: a rate of
// 1e12 calls per second must not take 1e12 steps to count.
func DueBefore(p Pacer, i int64, from, until time.Time, total int64) int64 {
	past := func(j int64) bool { // call j is not due before until
		if total > 0 && j >= total {
			return true
		}
		offset, ok := p.Due(j)
		return !ok || !from.Add(offset).Before(until)
	}
	if past(i) {
		return i
	}
	lo, hi := i, i+1 // past(lo) is false; find hi with past(hi) true
	for !past(hi) {
		lo = hi
		if hi > math.MaxInt64/2 {
			hi = math.MaxInt64
			if !past(hi) {
				return hi // more calls than an int64 counts: saturate
			}
			break
		}
		hi = i + 2*(hi-i) + 1
	}
	for hi-lo > 1 { // past(lo) false, past(hi) true
		mid := lo + (hi-lo)/2
		if past(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
