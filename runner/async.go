package runner

import (
	"context"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// A closed loop of unary calls on an engine whose connections complete
// calls themselves (the h2 engine's) runs as a chain: the goroutine that
// ends a call (the connection's reader) records it and starts the
// worker's next, so the loop costs no goroutine wake per call. What would
// wait (warm-up's end, a connection being redialled, a call the server
// never processed and that goes again) is handed back to the worker's
// goroutine, which makes that call as closedLoop does and then starts the
// chain again. Every call is opened, made and finished by the same worker
// methods as in closedLoop, one at a time, so the worker's state and its
// recorder are still used by one goroutine at a time.

// completion is told the outcome of a call startUnary started (the method
// set of h2.Completion).
type completion interface{ Done(err error) }

// asyncCaller is a caller whose connection can complete unary calls.
type asyncCaller interface {
	caller
	// startUnary starts a unary call of m with req, which must not change,
	// and returns at once: done gets its outcome. An error means it did
	// not start: errNoLive (make it with unaryFrom, from attempt 1), one
	// unprocessed reports, or the call's outcome.
	startUnary(ctx context.Context, m callMethod, req *data.Frame, done completion) error
	// unprocessed reports whether err means the server never processed
	// the call (it goes again with unaryFrom, from attempt 2, on the next
	// connection; the one it found is taken out of use).
	unprocessed(err error) bool
	// unaryFrom makes a unary call's attempts from the attempt-th on.
	unaryFrom(ctx context.Context, m callMethod, req *data.Frame, attempt int) error
}

// async returns the worker's asyncCaller when its calls can be chained:
// unary calls of one method with static requests, without churn or
// compression (those stay on the worker's goroutine).
func (w *worker) async() (asyncCaller, bool) {
	ac, ok := w.calls.(asyncCaller)
	o := w.opts
	return ac, ok && w.kind == event.Unary && w.mix == nil && w.churn == nil && !w.reqs.PerCall() &&
		!o.Call.Template && o.Call.Compress == "" && len(o.Load.ConcurrencyStages) == 0
}

// handBack is what a chain hands back to the worker's goroutine.
type handBack struct {
	kind    backKind
	start   time.Time // backClaimed: the call's start
	record  bool      // backClaimed: the call is recorded
	attempt int       // backRedo: the attempt to go on from
	err     error     // backFailed: why the start failed (the call's outcome)
}

type backKind uint8

const (
	backDone    backKind = iota // no call pending: the loop goes on (or ends)
	backWait                    // a call is in flight (not handed back)
	backClaimed                 // a call claimed, not opened: make it with do
	backRedo                    // a call opened: make it with unaryFrom from attempt
	backFailed                  // the call's start failed: err is its outcome
)

// chain is a worker's chain of calls; it is the completion of each.
type chain struct {
	w      *worker
	ac     asyncCaller
	ctx    context.Context
	call   context.Context    // the call in flight's: ctx, with its deadline (--timeout)
	cancel context.CancelFunc // of call's deadline; nil without
	req    *data.Frame        // the call in flight's request
	record bool               // and whether it is recorded
	back   chan struct{}
	h      handBack // what Done handed back, before it signals back
}

func (w *worker) closedLoopAsync(ctx context.Context, ac asyncCaller) {
	a := &chain{w: w, ac: ac, ctx: ctx, back: make(chan struct{}, 1)}
	for ctx.Err() == nil {
		start := time.Now()
		record, ok := w.claim(start)
		if !ok {
			return
		}
		h := a.start(start, record)
		for h.kind == backWait || h.kind == backFailed {
			if h.kind == backWait {
				<-a.back
				h = a.h
				continue
			}
			// On this goroutine: a start that keeps failing (a header
			// list the server refuses) does not hold the reader.
			h = a.next(h.err)
		}
		switch h.kind {
		case backClaimed:
			w.do(ctx, time.Time{}, h.start, h.record, false)
		case backRedo:
			a.finish(ac.unaryFrom(a.call, w.method(), a.req, h.attempt))
		}
	}
}

// Done takes the outcome of the call in flight and goes on with the chain;
// when it cannot, it hands the loop back to the worker's goroutine.
func (a *chain) Done(err error) {
	h := a.next(err)
	if h.kind == backWait {
		return // the next call is in flight: nothing of a may be touched now
	}
	a.h = h
	a.back <- struct{}{}
}

// next finishes the call in flight with its outcome err and starts the
// next call, unless the chain must hand back.
func (a *chain) next(err error) handBack {
	if a.call.Err() == nil && a.ac.unprocessed(err) {
		return handBack{kind: backRedo, attempt: 2}
	}
	a.finish(err)
	if a.ctx.Err() != nil {
		return handBack{}
	}
	start := time.Now()
	record, ok := a.w.claim(start)
	if !ok {
		return handBack{}
	}
	return a.start(start, record)
}

// start opens and starts a claimed call, unless it must wait (the
// recorder's Begin, a live connection).
func (a *chain) start(start time.Time, record bool) handBack {
	w := a.w
	if record && !w.sawBegin {
		select {
		case <-w.begun:
			w.sawBegin = true
		default:
			return handBack{kind: backClaimed, start: start, record: record}
		}
	}
	frames := w.reqs.Frames()
	a.req, a.record = frames[w.n%int64(len(frames))], record
	a.call = a.ctx
	if t := w.opts.Call.Timeout; t > 0 {
		a.call, a.cancel = context.WithTimeout(a.ctx, t)
	}
	w.open(start, start, false)
	w.stats.Sent = 1
	err := a.ac.startUnary(a.call, w.method(), a.req, a)
	switch {
	case err == nil:
		return handBack{kind: backWait}
	case err == errNoLive:
		return handBack{kind: backRedo, attempt: 1}
	case a.call.Err() == nil && a.ac.unprocessed(err):
		return handBack{kind: backRedo, attempt: 2}
	}
	return handBack{kind: backFailed, err: err}
}

// finish ends the call in flight with its outcome.
func (a *chain) finish(err error) {
	if a.cancel != nil {
		a.cancel()
		a.cancel = nil
	}
	if err == nil {
		a.w.stats.Received = 1
	}
	a.w.finish(err, a.record)
}
