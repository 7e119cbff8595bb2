package run

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    record.Progress
		load plan.Load
		want string
	}{
		{"first second has no rate or p99",
			record.Progress{Elapsed: 500 * time.Millisecond, Count: 40},
			plan.Load{Duration: 10 * time.Second},
			"█░░░░░░░░░░░░░░░░░░░   5%  500ms/10s  ETA 10s  40 calls  3 in flight  0 errors"},
		{"duration",
			record.Progress{Elapsed: 5 * time.Second, Count: 5000, Errors: 2, RPSLastSecond: 1000, P99LastSecond: 1500 * time.Microsecond},
			plan.Load{Duration: 10 * time.Second},
			"██████████░░░░░░░░░░  50%  5s/10s  ETA 5s  5000 calls  1000/s  3 in flight  2 errors  p99 1.5ms"},
		{"total",
			record.Progress{Elapsed: 2 * time.Second, Count: 250, RPSLastSecond: 125, P99LastSecond: time.Millisecond},
			plan.Load{Total: 1000},
			"█████░░░░░░░░░░░░░░░  25%  2s  ETA 6s  250 calls of 1000  125/s  3 in flight  0 errors  p99 1ms"},
		{"open loop shows the target",
			record.Progress{Elapsed: 5 * time.Second, Count: 300, RPSLastSecond: 59, P99LastSecond: time.Millisecond},
			plan.Load{Schedule: plan.Schedule{Kind: "ramp", From: 10, To: 110, Over: 10 * time.Second}, Duration: 20 * time.Second},
			"█████░░░░░░░░░░░░░░░  25%  5s/20s  ETA 15s  300 calls  59/s (target 60/s)  3 in flight  0 errors  p99 1ms"},
		{"no end",
			record.Progress{Elapsed: 3 * time.Second, Count: 30, RPSLastSecond: 10, P99LastSecond: time.Millisecond},
			plan.Load{},
			"3s  30 calls  10/s  3 in flight  0 errors  p99 1ms  (Ctrl-C to stop)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressLine(tt.s, 3, &tt.load, 0); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// The live line never wraps: it is cut to one cell less than the terminal,
// counting display cells, not bytes or runes.
func TestFitWidth(t *testing.T) {
	t.Parallel()
	line := progressLine(record.Progress{Elapsed: 5 * time.Second, Count: 5000, RPSLastSecond: 1000},
		1, &plan.Load{Duration: 10 * time.Second}, 0)
	for _, width := range []int{10, 40, 80} {
		got := fitWidth(line, width)
		if w := ansi.StringWidth(got); w > width-1 {
			t.Errorf("width %d: %q is %d cells", width, got, w)
		}
		if !strings.HasSuffix(got, "…") {
			t.Errorf("width %d: %q is not marked as cut", width, got)
		}
	}
	if got := fitWidth(line, 200); got != line {
		t.Errorf("a line that fits was changed: %q", got)
	}
	if got := fitWidth(line, 0); got != line {
		t.Errorf("unknown width changed the line: %q", got)
	}
}

// At 80 columns the calls counter (then time left, the target...) goes
// before errors and p99, which always stay.
func TestProgressLineKeepsErrorsAndP99(t *testing.T) {
	t.Parallel()
	s := record.Progress{Elapsed: 5*time.Minute + 300*time.Millisecond, Count: 123456789, Errors: 4321,
		RPSLastSecond: 41234, P99LastSecond: 1234567 * time.Microsecond}
	load := plan.Load{Schedule: plan.Schedule{Kind: "ramp", From: 10, To: 50000, Over: 10 * time.Minute}, Duration: 10 * time.Minute, Total: 0}
	for _, width := range []int{80, 60} {
		got := progressLine(s, 2048, &load, width)
		if w := ansi.StringWidth(got); w > width-1 {
			t.Errorf("width %d: %q is %d cells", width, got, w)
		}
		if !strings.Contains(got, "4321 errors") || !strings.Contains(got, "p99 1.234567s") {
			t.Errorf("width %d: errors or p99 went: %q", width, got)
		}
		if strings.Contains(got, "calls") {
			t.Errorf("width %d: the calls counter should go first: %q", width, got)
		}
	}
	if got := progressLine(s, 2048, &load, 200); !strings.Contains(got, "123456789 calls") {
		t.Errorf("wide: %q", got)
	}
}
