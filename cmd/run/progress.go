package run

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// progress prints a live status line on a terminal once a second until
// stopped, then clears it.
type progress struct {
	w        io.Writer
	snapshot func() record.Progress
	inFlight func() int
	load     plan.Load
	width    int // of the terminal; 0 when unknown
	stop     chan struct{}
	done     chan struct{}
}

func startProgress(w io.Writer, width int, snapshot func() record.Progress, inFlight func() int, load plan.Load) *progress {
	p := &progress{w: w, snapshot: snapshot, inFlight: inFlight, load: load, width: width,
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer close(p.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.w, "\r"+ansi.EraseLineRight)
			return
		case <-tick.C:
			line := fitWidth(progressLine(p.snapshot(), p.inFlight(), &p.load), p.width)
			fmt.Fprint(p.w, "\r"+ansi.EraseLineRight+line)
		}
	}
}

// Stop clears the line and returns once nothing more will be printed.
func (p *progress) Stop() {
	close(p.stop)
	<-p.done
}

// fitWidth cuts line to less than width display cells (0: no limit). A
// line as long as the terminal wraps, and \r then only returns to the start
// of its last row, leaving a trail of lines in a narrow pane.
func fitWidth(line string, width int) string {
	if width < 2 {
		return line
	}
	return ansi.Truncate(line, width-1, "…")
}

// progressBarWidth is the width of the bar, in cells.
const progressBarWidth = 20

// progressLine is one status line: a bar with percentage and time left when
// the run has an end (-z or -n), elapsed time, calls, the completion rate
// (beside the target rate in open loop), calls in flight, errors and the
// p99 of the last second. Rate and p99 appear once a full second has been
// measured.
func progressLine(s record.Progress, inFlight int, l *plan.Load) string {
	var b strings.Builder
	done, left := progressDone(s, l)
	if done >= 0 {
		filled := int(done * progressBarWidth)
		fmt.Fprintf(&b, "%s%s %3.0f%%  ", strings.Repeat("█", filled), strings.Repeat("░", progressBarWidth-filled), done*100)
	}
	fmt.Fprintf(&b, "%s", s.Elapsed.Round(100*time.Millisecond))
	if l.Duration > 0 {
		fmt.Fprintf(&b, "/%s", l.Duration)
	}
	if left > 0 {
		fmt.Fprintf(&b, "  ETA %s", left.Round(time.Second))
	}
	fmt.Fprintf(&b, "  %d calls", s.Count)
	if l.Total > 0 {
		fmt.Fprintf(&b, " of %d", l.Total)
	}
	if s.Elapsed >= time.Second {
		fmt.Fprintf(&b, "  %.0f/s", s.RPSLastSecond)
	}
	if l.OpenLoop() {
		fmt.Fprintf(&b, " (target %.0f/s)", l.RateAt(s.Elapsed))
	}
	fmt.Fprintf(&b, "  %d in flight  %d errors", inFlight, s.Errors)
	if s.Elapsed >= time.Second && s.P99LastSecond > 0 {
		fmt.Fprintf(&b, "  p99 %s", s.P99LastSecond.Round(time.Microsecond))
	}
	if done < 0 {
		b.WriteString("  (Ctrl-C to stop)")
	}
	return b.String()
}

// progressDone is the share of the run done (-1 when it has no known end)
// and the time left (0 when unknown).
func progressDone(s record.Progress, l *plan.Load) (float64, time.Duration) {
	var done float64
	var left time.Duration
	switch {
	case l.Duration > 0:
		done = s.Elapsed.Seconds() / l.Duration.Seconds()
		left = l.Duration - s.Elapsed
	case l.Total > 0:
		done = float64(s.Count) / float64(l.Total)
		if s.Count > 0 {
			left = time.Duration(float64(s.Elapsed) * float64(l.Total-s.Count) / float64(s.Count))
		}
	default:
		return -1, 0
	}
	return min(max(done, 0), 1), max(left, 0)
}
