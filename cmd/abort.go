package cmd

import (
	"sync"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// abortWatch checks assertions against the run so far, once a second, and
// stops the run at the first failure that more calls could not undo
// (Assertion.Abortable: a lower bound on a total fails at the start of
// every run, and is left to the end).
type abortWatch struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	expr string
	at   time.Duration
}

func watchAssertions(ctx interface{ Done() <-chan struct{} }, rec *report.Recorder, meta report.Meta,
	asserts []report.Assertion, abort func()) *abortWatch {
	z := meta.Options.Load.Duration
	var checked []report.Assertion
	for _, a := range asserts {
		if a.Abortable() {
			checked = append(checked, a)
		}
	}
	w := &abortWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			s := rec.SummarizeSoFar(meta)
			if z > 0 && s.Duration > z-time.Second {
				return // the run ends within the next tick anyway: the final check decides
			}
			if s.Count == 0 {
				continue // nothing to judge yet
			}
			for _, r := range report.EvaluateAssertions(s, checked) {
				if !r.Pass {
					w.mu.Lock()
					w.expr, w.at = r.Expr, s.Duration.Round(time.Millisecond)
					w.mu.Unlock()
					abort()
					return
				}
			}
		}
	}()
	return w
}

// Stop ends the checks and waits for them.
func (w *abortWatch) Stop() {
	close(w.stop)
	<-w.done
}

// Expr is the assertion that stopped the run, or "".
func (w *abortWatch) Expr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.expr
}

// At is how far into the run it was stopped.
func (w *abortWatch) At() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}
