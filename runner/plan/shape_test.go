package plan

import (
	"strconv"
	"testing"
	"time"
)

// Each load shape's pacer says itself in the flags and in words, and knows
// its start, its end and its rate.
func TestPacerDescribes(t *testing.T) {
	t.Parallel()
	var ramp, step Schedule
	if err := ramp.Set("ramp:10,110,10s"); err != nil {
		t.Fatal(err)
	}
	if err := step.Set("step:100,50,10s,180"); err != nil {
		t.Fatal(err)
	}
	stages := Stages{{Duration: time.Second, Target: 50}, {Duration: time.Second, Target: 0}}
	rate := func(r float64) string { return strconv.FormatFloat(r, 'f', 1, 64) }
	tests := []struct {
		load            Load
		flags, words    string
		start, rateAt1s float64
		end             time.Duration // 0: none
		shaped          bool
	}{
		{Load{}, "closed loop", "closed loop", 0, 0, 0, false},
		{Load{RPS: 20}, "--rps 20", "open loop 20.0/s", 20, 20, 0, false},
		{Load{Schedule: step}, "--schedule step:100,50,10s,180", "open loop step:100,50,10s,180", 100, 100, 0, true},
		{Load{Schedule: ramp}, "--schedule ramp:10,110,10s", "open loop ramp:10,110,10s", 10, 20, 10 * time.Second, true},
		{Load{Stages: stages}, "--rps 0 --stages 1s:50,1s:0", "open loop stages 1s:50,1s:0", 0, 50, 2 * time.Second, true},
		{Load{RPS: 10, Stages: stages}, "--rps 10 --stages 1s:50,1s:0", "open loop from 10.0/s, stages 1s:50,1s:0", 10, 50, 2 * time.Second, true},
		{Load{ConcurrencyStages: stages}, "--concurrency-stages 1s:50,1s:0", "closed loop concurrency stages 1s:50,1s:0", 0, 0, 2 * time.Second, true},
	}
	for _, tt := range tests {
		p := tt.load.Pacer()
		end, ends := p.End()
		if p.String() != tt.flags || p.Describe(rate) != tt.words || p.StartRate() != tt.start || p.Rate(time.Second) != tt.rateAt1s ||
			end != tt.end || ends != (tt.end > 0) || p.Shaped() != tt.shaped {
			t.Errorf("%+v: %q, %q, start %g, rate at 1s %g, end %s %v, shaped %v", tt.load, p.String(), p.Describe(rate),
				p.StartRate(), p.Rate(time.Second), end, ends, p.Shaped())
		}
	}
}
