package plan

import (
	"math"
	"testing"
	"time"
)

// FuzzScheduleSet: any flag value parses or is refused; a schedule that
// parses writes back to the same schedule and paces calls at due times that
// never go back, quickly.
func FuzzScheduleSet(f *testing.F) {
	for _, seed := range []string{"step:100,50,10s,500", "ramp:10,1000,30s", "step:0,1,1s,10", "ramp:0,0,1s",
		"step:1,NaN,1s,2", "ramp:1e308,1e308,1ns", "step:0,1e-300,1s,1000", "step:1e20,1,1s,1.0000000000001e20"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var s Schedule
		if err := s.Set(v); err != nil {
			return
		}
		var again Schedule
		if err := again.Set(s.String()); err != nil || again != s {
			t.Fatalf("%q: String %q reads back as %+v, %v", v, s.String(), again, err)
		}
		p := (&Load{Schedule: s}).Pacer()
		last := time.Duration(math.MinInt64)
		for _, i := range []int64{0, 1, 2, 10, 1000, 1e6, 1e9, math.MaxInt64 / 2} {
			d, ok := p.Due(i)
			if !ok {
				break
			}
			if d < 0 || d < last {
				t.Fatalf("%q: call %d due at %v, after %v", v, i, d, last)
			}
			last = d
		}
	})
}
