package gate

import (
	"context"
	"sync"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// Watcher checks assertions against a run as it goes, once a second of
// measurement, and stops the run at the first failure that more calls
// could not undo (Assertion.Abortable: a lower bound on a total fails at
// the start of every run, and is left to the end). Its methods are safe for
// concurrent use.
type Watcher struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	expr string
	at   time.Duration
}

// Watch starts a Watcher of asserts. Its first check comes a second after
// begun is closed (record.Recorder.Begun: the start of measurement, after
// the pool dialled and warmed up), so the run's time and the checks' agree
// however long dialling took. snapshot returns the Summary of the run so
// far (record.Recorder.Summary); z is the run's planned duration (0 for
// none): within its last second the final check decides. abort stops the
// run; it is called at most once. The Watcher ends with ctx, at a failure,
// or at Stop.
func Watch(ctx context.Context, begun <-chan struct{}, snapshot func() *report.Summary, asserts []Assertion,
	z time.Duration, abort func()) *Watcher {
	var checked []Assertion
	for _, a := range asserts {
		if a.Abortable() {
			checked = append(checked, a)
		}
	}
	w := &Watcher{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		case <-begun:
		}
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
			if w.check(snapshot(), checked, z, abort) {
				return
			}
		}
	}()
	return w
}

// check judges the run so far, s; it reports whether the watch is over.
func (w *Watcher) check(s *report.Summary, checked []Assertion, z time.Duration, abort func()) bool {
	if z > 0 && s.Duration > z-time.Second {
		return true // the run ends within the next tick anyway: the final check decides
	}
	if s.Count == 0 {
		return false // nothing to judge yet
	}
	for _, r := range EvaluateAssertions(s, checked) {
		if !r.Pass {
			w.mu.Lock()
			w.expr, w.at = r.Expr, s.Duration.Round(time.Millisecond)
			w.mu.Unlock()
			abort()
			return true
		}
	}
	return false
}

// Stop ends the checks and waits for them. Call it once.
func (w *Watcher) Stop() {
	close(w.stop)
	<-w.done
}

// Expr is the assertion that stopped the run, or "".
func (w *Watcher) Expr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.expr
}

// At is how far into measurement the run was stopped.
func (w *Watcher) At() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}
