package run

import (
	"fmt"
	"io"
	"slices"
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
			line := fitWidth(progressLine(p.snapshot(), p.inFlight(), &p.load, p.width), p.width)
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
// measured. Narrower than width (0: no limit), parts go, the least telling
// first (the calls counter, time left, the target rate, calls in flight,
// the bar, the rate), so that errors and p99 stay on an 80-column screen.
func progressLine(s record.Progress, inFlight int, l *plan.Load, width int) string {
	type part struct {
		text string
		drop int // the order parts go in to fit the width; 0: never
	}
	var parts []part
	add := func(drop int, format string, args ...any) {
		parts = append(parts, part{fmt.Sprintf(format, args...), drop})
	}
	done, left := progressDone(s, l)
	if done >= 0 {
		filled := int(done * progressBarWidth)
		add(5, "%s%s", strings.Repeat("█", filled), strings.Repeat("░", progressBarWidth-filled))
		add(0, "%3.0f%%", done*100)
	}
	elapsed := s.Elapsed.Round(100 * time.Millisecond).String()
	if l.Duration > 0 {
		elapsed += "/" + l.Duration.String()
	}
	add(0, "%s", elapsed)
	if left > 0 {
		add(2, "ETA %s", left.Round(time.Second))
	}
	calls := fmt.Sprintf("%d calls", s.Count)
	if l.Total > 0 {
		calls += fmt.Sprintf(" of %d", l.Total)
	}
	add(1, "%s", calls)
	if s.Elapsed >= time.Second {
		add(6, "%.0f/s", s.RPSLastSecond)
	}
	if l.OpenLoop() {
		add(3, "(target %.0f/s)", l.RateAt(s.Elapsed))
	}
	add(4, "%d in flight", inFlight)
	add(0, "%d errors", s.Errors)
	if s.Elapsed >= time.Second && s.P99LastSecond > 0 {
		add(0, "p99 %s", s.P99LastSecond.Round(time.Microsecond))
	}
	if done < 0 {
		add(7, "(Ctrl-C to stop)")
	}
	join := func() string {
		var b strings.Builder
		for i, p := range parts {
			switch {
			case i == 0:
			case strings.HasPrefix(p.text, "(target") || strings.HasSuffix(parts[i-1].text, "░") || strings.HasSuffix(parts[i-1].text, "█"):
				b.WriteString(" ")
			default:
				b.WriteString("  ")
			}
			b.WriteString(p.text)
		}
		return b.String()
	}
	for drop := 1; width >= 2 && ansi.StringWidth(join()) > width-1 && drop <= 7; drop++ {
		parts = slices.DeleteFunc(parts, func(p part) bool { return p.drop == drop })
	}
	return join()
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
