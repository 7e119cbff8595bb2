package cmd

import (
	"fmt"
	"io"
	"time"

	"github.com/grpcpulse/grpcpulse/report/record"
)

// progress prints a live status line on a terminal once a second until
// stopped, then clears it.
type progress struct {
	w        io.Writer
	snapshot func() record.Progress
	inFlight func() int
	total    string // "/10s", " (of 20000 calls)" or ""
	stop     chan struct{}
	done     chan struct{}
}

func startProgress(w io.Writer, snapshot func() record.Progress, inFlight func() int, total string) *progress {
	p := &progress{w: w, snapshot: snapshot, inFlight: inFlight, total: total,
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
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-tick.C:
			fmt.Fprintf(p.w, "\r\033[K%s", progressLine(p.snapshot(), p.inFlight(), p.total))
		}
	}
}

// Stop clears the line and returns once nothing more will be printed.
func (p *progress) Stop() {
	close(p.stop)
	<-p.done
}

// progressLine is one status line: elapsed (of total), calls, rate, calls in
// flight, errors and the p99 of the last second.
func progressLine(s record.Progress, inFlight int, total string) string {
	return fmt.Sprintf("%s%s  %d calls  %.0f/s  %d in flight  %d errors  p99 %s",
		s.Elapsed.Round(100*time.Millisecond), total, s.Count, s.RPSLastSecond, inFlight, s.Errors,
		s.P99LastSecond.Round(time.Microsecond))
}
