package plan

import (
	"math"
	"testing"
	"time"
)

// walkDue is the old count, one step per call: the oracle for DueBefore.
func walkDue(p Pacer, i int64, from, until time.Time, total int64) int64 {
	for ; total == 0 || i < total; i++ {
		offset, ok := p.Due(i)
		if !ok || !from.Add(offset).Before(until) {
			break
		}
	}
	return i
}

// Counting the calls due by a time takes O(log n) steps, agrees with a walk
// of every call, and copes with absurd rates.
func TestDueBefore(t *testing.T) {
	t.Parallel()
	from := time.Unix(1000, 0)
	var step, ramp Schedule
	if err := step.Set("step:10,20,1s,200"); err != nil {
		t.Fatal(err)
	}
	if err := ramp.Set("ramp:500,5,3s"); err != nil {
		t.Fatal(err)
	}
	pacers := map[string]Pacer{"const": ConstantPacer(333), "slow": ConstantPacer(0.5), "none": ConstantPacer(0),
		"step": stepPacer(step), "ramp": rampPacer(ramp)}
	for name, p := range pacers {
		for _, i := range []int64{0, 1, 7, 500} {
			for _, total := range []int64{0, 3, 600} {
				for _, until := range []time.Duration{0, time.Millisecond, 999 * time.Millisecond, 4 * time.Second, 10 * time.Second} {
					want := walkDue(p, i, from, from.Add(until), total)
					if got := DueBefore(p, i, from, from.Add(until), total); got != want {
						t.Errorf("%s: DueBefore(i=%d, until=%s, total=%d) = %d, want %d", name, i, until, total, got, want)
					}
				}
			}
		}
	}
	// 1e12 calls per second for a second: counted at once, not in hours.
	start := time.Now()
	if n := Unissued(ConstantPacer(1e12), 5, from, from.Add(time.Second), 0); n < 1e12-6 || n > 1e12 {
		t.Errorf("Unissued at 1e12/s over 1s from call 5 = %d", n)
	}
	if n := Unissued(ConstantPacer(1e12), 0, from, from.Add(time.Second), 1e6); n != 1e6 {
		t.Errorf("Unissued with -n 1e6 = %d", n)
	}
	if n := Unissued(ConstantPacer(1e300), 0, from, from.Add(time.Second), 0); n != math.MaxInt64 {
		t.Errorf("Unissued at 1e300/s = %d, want it saturated", n)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("counting took %s", took)
	}
}
